"""The schema-driven lab form: one input per parameter of labcontract.LAB_PARAMS (a widget chosen from its JSON
schema: numbers, lists one item a line, RoPE settings as "linear 4", SLOs as one box each, a JSONL upload), and
the POST read back into params. The contract then checks them; what cannot even be read (a word where a number
goes, a malformed RoPE line, a file too large) is refused here with the field and line named."""

from __future__ import annotations

import base64
import math

from django.http import HttpRequest
from django.utils.translation import gettext as _

import labcontract
from core.middleware import size_text
from labcontract.labs import cpp_tokenizer as cpp_contract
from labcontract.labs.finetune import FINETUNE_DATASET_MAX_BYTES

from . import registry


class LabFormRefused(ValueError):
    """The lab form's input cannot become a job; the message names the field. Nothing was created."""


def refuse_nul(post) -> None:
    """PostgreSQL stores params as jsonb, which refuses NUL in any string: say which field has one."""
    for name, values in post.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            raise LabFormRefused(_("字段 %(field)s 里有 NUL 字符（\\0），无法保存，请删除它。")
                                 % {"field": name.replace("\x00", "\\0")})


def cpp_params(request: HttpRequest) -> dict:
    limit = cpp_contract.CPP_SOURCE_MAX_BYTES
    upload = request.FILES.get("archive")
    if upload:
        if upload.size > limit:
            raise LabFormRefused(_("压缩包过大：%(size)s，上限 %(limit)s。")
                                 % {"size": size_text(upload.size), "limit": size_text(limit)})
        return {"archive_b64": base64.b64encode(upload.read()).decode()}
    source = request.POST.get("source", "")
    size = len(source.encode("utf-8"))
    if size > limit:
        raise LabFormRefused(_("源码过大：%(size)s，上限 %(limit)s。")
                             % {"size": size_text(size), "limit": size_text(limit)})
    return {"files": {"tokenizer.cpp": source}}


def _kinds(spec: dict) -> list:
    kind = spec.get("type")
    return kind if isinstance(kind, list) else [kind]


def _widget(name: str, spec: dict) -> str:
    """Which input a schema field gets; lab_new.html renders each, _params_from_form reads each back."""
    items = spec.get("items") or {}
    if name.endswith("_jsonl"):
        return "file"
    if "oneOf" in spec:
        return "lines"  # finetune's target_modules: "all-linear" or one module name a line
    if "array" in _kinds(spec):
        if "enum" in items:
            return "checkboxes"
        return "rope" if items.get("type") == "object" else "lines"
    if "enum" in spec:
        return "select"
    if "object" in _kinds(spec):
        return "object"
    if "boolean" in _kinds(spec):
        return "checkbox"
    if "integer" in _kinds(spec) or "number" in _kinds(spec):
        return "number"
    return "textarea" if spec.get("maxLength", 0) > 10_000 else "text"


def _shown(value) -> str:
    """A default as the learner edits it: lists one item a line, RoPE settings as "linear 4"."""
    if isinstance(value, list):
        return "\n".join(" ".join([str(v["type"]), *(f"{k}={x:g}" if k != "factor" else f"{x:g}"
                                                     for k, x in v.items() if k != "type")])
                         if isinstance(v, dict) else " ".join(map(str, v)) if isinstance(v, list) else str(v)
                         for v in value)
    return "" if value is None else str(value)


def _prefilled(spec: dict) -> bool:
    """A list field shows its default (numbers, RoPE settings, "all-linear") so the learner edits it; lists of
    text (prompts) start empty and mean "the built-in default" when left so."""
    default = spec.get("default")
    return bool(default) and (isinstance(default, str) or not all(isinstance(v, str) for v in default))


def field_names(lab: str) -> set[str]:
    """The form's input names (an object field's parts as "slo.ttft_ms")."""
    names = set()
    for name, spec in labcontract.LAB_PARAMS[lab]["properties"].items():
        names.add(name)
        names.update(f"{name}.{key}" for key in (spec.get("properties") or {}))
    return names


def fields(lab: registry.Lab, typed=None) -> list[dict]:
    """The form's fields with the contract's defaults, or with what the learner typed when a POST was refused
    (so a message about one field does not cost them the others)."""
    fields = []
    for name, spec in labcontract.LAB_PARAMS[lab.slug]["properties"].items():
        widget = _widget(name, spec)
        field = {"name": name, "label": lab.label(name), "default": spec.get("default"), "spec": spec,
                 "widget": widget,
                 "shown": _shown(spec.get("default")) if widget not in ("lines", "rope") or _prefilled(spec) else "",
                 "choices": spec.get("enum") or (spec.get("items") or {}).get("enum") or [],
                 "parts": [{"key": key, "type": sub.get("type"), "value": typed.get(f"{name}.{key}", "") if typed
                            else ""} for key, sub in (spec.get("properties") or {}).items()],
                 "step": "1" if "integer" in _kinds(spec) else "any",
                 "min": spec.get("minimum"), "max": spec.get("maximum")}
        if typed is not None and widget == "checkboxes":
            field["default"] = typed.getlist(name)
        elif typed is not None and name in typed and widget not in ("file", "object"):
            values = typed.getlist(name)
            field["default"] = field["shown"] = values[-1]
            if widget == "checkbox":
                field["default"] = values[-1] == "true"
        fields.append(field)
    return fields


def _finite(value, name: str, raw: str):
    """A number read from the form, refused here when it is NaN or infinite ("nan", "inf", "1e999"): no bound
    of the schema can hold it, and the database refuses it."""
    if isinstance(value, float) and not math.isfinite(value):
        raise LabFormRefused(_("%(field)s：“%(value)s” 不是有限的数字。") % {"field": name, "value": raw})
    return value


def field_message(lab: registry.Lab, exc: Exception) -> tuple[str, str]:
    """(the form field an error is at, the message in the learner's language): the contract's schema errors
    ("-5 is less than the minimum of 2 (at gen_len)") become the field's label with its limits; other messages
    stay as they are (they already name the field)."""
    field = str(getattr(exc, "field", "") or "").split("/")[0].split(".")[0]
    schema = labcontract.LAB_PARAMS.get(lab.slug, {}).get("properties", {})
    spec, text = schema.get(field), str(exc)
    if spec is None:
        return field if field in schema else "", text
    label = lab.label(field)
    low, high = spec.get("minimum"), spec.get("maximum")
    if ("less than the minimum" in text or "greater than the maximum" in text) and (low, high) != (None, None):
        if low is not None and high is not None:
            return field, _("%(label)s 必须在 %(min)s 到 %(max)s 之间。") % {"label": label, "min": f"{low:g}",
                                                                            "max": f"{high:g}"}
        if low is not None:
            return field, _("%(label)s 不能小于 %(min)s。") % {"label": label, "min": f"{low:g}"}
        return field, _("%(label)s 不能大于 %(max)s。") % {"label": label, "max": f"{high:g}"}
    if "is not of type" in text and "integer" in _kinds(spec):
        return field, _("%(label)s 必须是整数。") % {"label": label}
    if "is not of type" in text and "number" in _kinds(spec):
        return field, _("%(label)s 必须是数字。") % {"label": label}
    if "is not one of" in text:
        choices = spec.get("enum") or (spec.get("items") or {}).get("enum") or []
        return field, _("%(label)s 只能是 %(choices)s 之一。") % {"label": label,
                                                               "choices": "、".join(map(str, choices))}
    return field, text


def untick_unservable(fields: list[dict], queues: set[str]) -> None:
    """The form's default leaves the vllm engine unticked when none of the learner's runners serves lab.vllm (a
    CPU-only runner would only report it unsupported), and says so by the field."""
    if "lab.vllm" in queues:
        return
    for field in fields:
        if field["widget"] == "checkboxes" and field["name"] == "engines" and "vllm" in (field["default"] or []):
            field["default"] = [e for e in field["default"] if e != "vllm"]
            field["note"] = _("vllm 没有勾选：你的 runner 都不提供 lab.vllm（需要 CUDA GPU 和 vLLM）。")


def _item(raw: str, spec: dict, name: str, number: int):
    """One line of a list field as the schema's item type wants it ("inf" stays a word for request_rates)."""
    kinds = _kinds(spec.get("items") or {}) or [None]
    try:
        if "array" in kinds:  # the kernel lab's sizes: "255 257 129" or "255x257x129" a line
            return [int(v) for v in raw.replace("x", " ").replace("×", " ").replace(",", " ").split()]
        if "integer" in kinds:
            return int(raw)
        if "number" in kinds or "anyOf" in (spec.get("items") or {}):
            return raw if raw == "inf" else _finite(float(raw), name, raw)
    except LabFormRefused:
        raise
    except ValueError:
        raise LabFormRefused(_("%(field)s 第 %(line)s 行：“%(value)s” 不是数字。")
                             % {"field": name, "line": number, "value": raw}) from None
    return raw


def _rope_setting(line: str, name: str, number: int) -> dict:
    """ "yarn 4 beta_fast=32" -> {"type": "yarn", "factor": 4.0, "beta_fast": 32.0}; the contract checks the rest."""
    kind, *rest = line.split()
    setting: dict = {"type": kind}
    try:
        for word in rest:
            key, eq, value = word.partition("=")
            setting[key if eq else "factor"] = _finite(float(value if eq else key), name, line)
    except LabFormRefused:
        raise
    except ValueError:
        raise LabFormRefused(_("%(field)s 第 %(line)s 行：“%(value)s” 应该像 “linear 4” 或 “yarn 4 beta_fast=32”。")
                             % {"field": name, "line": number, "value": line}) from None
    return setting


def _upload_text(upload, name: str) -> str:
    limit = FINETUNE_DATASET_MAX_BYTES
    if upload.size > limit:
        raise LabFormRefused(_("%(field)s：文件过大：%(size)s，上限 %(limit)s。")
                             % {"field": name, "size": size_text(upload.size), "limit": size_text(limit)})
    try:
        return upload.read().decode("utf-8")
    except UnicodeDecodeError:
        raise LabFormRefused(_("%(field)s：文件不是 UTF-8 文本。") % {"field": name}) from None


def params_from_form(lab: str, post, files=None) -> dict:
    """Turn the schema-driven form back into params; only fields present in the schema are read, and an
    empty field keeps the contract's default."""
    params: dict = {}
    for name, spec in labcontract.LAB_PARAMS[lab]["properties"].items():
        widget, raw = _widget(name, spec), post.get(name, "")
        if widget == "checkboxes":
            params[name] = post.getlist(name)
        elif widget == "checkbox" and name in post:
            params[name] = post.getlist(name)[-1] == "true"  # a hidden "false" precedes the box
        elif widget == "file" and files and name in files:
            params[name] = _upload_text(files[name], name)
        elif widget == "object":
            params[name] = {}
            for key, sub in spec.get("properties", {}).items():
                if value := post.get(f"{name}.{key}", "").strip():
                    params[name][key] = _item(value, {"items": sub}, f"{name}.{key}", 1)
        elif widget in ("lines", "rope") and (raw.strip() or (name in post and _prefilled(spec))):
            lines = [(n, line.strip()) for n, line in enumerate(raw.splitlines(), start=1) if line.strip()]
            if widget == "rope":
                params[name] = [_rope_setting(line, name, n) for n, line in lines]
            elif "oneOf" in spec and [line for _, line in lines] == ["all-linear"]:
                params[name] = "all-linear"
            else:
                params[name] = [_item(line, spec, name, n) for n, line in lines]
        elif widget == "number" and raw.strip():
            try:
                params[name] = int(raw) if "integer" in _kinds(spec) else _finite(float(raw), name, raw)
            except LabFormRefused:
                raise
            except ValueError:
                params[name] = raw  # the schema reports it with the field's name
        elif widget in ("text", "textarea", "select") and raw != "":
            params[name] = raw
    return params
