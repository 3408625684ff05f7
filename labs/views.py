"""Lab pages: catalogue, a schema-driven form per lab, job pages with live progress, runner management."""

from __future__ import annotations

import base64
import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

import labcontract
from core.middleware import size_text
from labcontract.finetune import FINETUNE_DATASET_MAX_BYTES

from . import registry, services
from .models import LabJob, Runner
from .results import comparison, history_chart

HISTORY_JOBS = 30  # the job page's chart: the user's latest succeeded jobs of the lab

def lab_catalogue(request: HttpRequest) -> HttpResponse:
    jobs = LabJob.objects.filter(user=request.user).select_related("runner")[:50]
    context = {
        "labs": list(registry.LABS.values()),
        "jobs": jobs,
        "runners": Runner.objects.filter(owner=request.user),
    }
    return render(request, "labs/labs.html", context)


class LabFormRefused(ValueError):
    """The lab form's input cannot become a job; the message names the field. Nothing was created."""


def _refuse_nul(post) -> None:
    """PostgreSQL stores params as jsonb, which refuses NUL in any string: say which field has one."""
    for name, values in post.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            raise LabFormRefused(_("字段 %(field)s 里有 NUL 字符（\\0），无法保存，请删除它。")
                                 % {"field": name.replace("\x00", "\\0")})


def _cpp_params(request: HttpRequest) -> dict:
    limit = labcontract.CPP_SOURCE_MAX_BYTES
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
                         if isinstance(v, dict) else str(v) for v in value)
    return "" if value is None else str(value)


def _prefilled(spec: dict) -> bool:
    """A list field shows its default (numbers, RoPE settings, "all-linear") so the learner edits it; lists of
    text (prompts) start empty and mean "the built-in default" when left so."""
    default = spec.get("default")
    return bool(default) and (isinstance(default, str) or not all(isinstance(v, str) for v in default))


def _fields(lab: registry.Lab, typed=None) -> list[dict]:
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
                 "step": "1" if "integer" in _kinds(spec) else "any"}
        if typed is not None and widget == "checkboxes":
            field["default"] = typed.getlist(name)
        elif typed is not None and name in typed and widget not in ("file", "object"):
            values = typed.getlist(name)
            field["default"] = field["shown"] = values[-1]
            if widget == "checkbox":
                field["default"] = values[-1] == "true"
        fields.append(field)
    return fields


def _item(raw: str, spec: dict, name: str, number: int):
    """One line of a list field as the schema's item type wants it ("inf" stays a word for request_rates)."""
    kinds = _kinds(spec.get("items") or {}) or [None]
    try:
        if "integer" in kinds:
            return int(raw)
        if "number" in kinds or "anyOf" in (spec.get("items") or {}):
            return raw if raw == "inf" else float(raw)
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
            setting[key if eq else "factor"] = float(value if eq else key)
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


def _params_from_form(lab: str, post, files=None) -> dict:
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
                params[name] = int(raw) if "integer" in _kinds(spec) else float(raw)
            except ValueError:
                params[name] = raw  # the schema reports it with the field's name
        elif widget in ("text", "textarea", "select") and raw != "":
            params[name] = raw
    return params


def lab_new(request: HttpRequest, lab: str) -> HttpResponse:
    entry = registry.get(lab)
    if entry is None or lab not in labcontract.LABS:
        raise Http404(_("没有这个实验。"))
    error = ""
    if request.method == "POST":
        queue = request.POST.get("queue", entry.queues[0])
        try:
            _refuse_nul(request.POST)
            params = _cpp_params(request) if entry.upload else _params_from_form(lab, request.POST, request.FILES)
            job = services.job_create(user=request.user, lab=lab, queue=queue, params=params)
        except (labcontract.ContractError, ValueError) as exc:
            error = str(exc)
        else:
            return redirect("lab_job", pk=job.pk)
    typed = request.POST if error else None
    context = {"lab": entry, "fields": [] if entry.upload else _fields(entry, typed), "error": error,
               "queue": typed.get("queue") if typed else entry.queues[0]}
    return render(request, "labs/lab_new.html", context)


def lab_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(LabJob.objects.select_related("runner"), pk=pk, user=request.user)
    template = "labs/_lab_job_live.html" if request.htmx else "labs/lab_job.html"
    context = {"job": job, "waiting": services.waiting_reason(job), "title": registry.title(job.lab)}
    if not request.htmx:  # the live fragment polls every 2 s: history stays out of it
        done = LabJob.objects.filter(user=request.user, lab=job.lab, status=LabJob.Status.SUCCEEDED)
        context["previous"] = done.exclude(pk=pk)[:10]
        recent = list(done.only("id", "lab", "result", "created_at").order_by("-created_at", "-id")[:HISTORY_JOBS])
        lab = registry.get(job.lab)
        context["history"] = history_chart(lab.headline, reversed(recent)) if lab else None
        context["history_json"] = json.dumps(context["history"], ensure_ascii=False) if context["history"] else ""
    return render(request, template, context)


def lab_compare(request: HttpRequest) -> HttpResponse:
    """Two of the learner's jobs of one lab side by side: headline figures with difference and ratio, and the
    parameters and runner system info that differ."""
    try:
        pks = [int(request.GET.get(key, "")) for key in ("a", "b")]
    except ValueError:
        raise Http404(_("对比需要两个任务编号 a 和 b。")) from None
    jobs = [get_object_or_404(LabJob.objects.select_related("runner"), pk=pk, user=request.user) for pk in pks]
    if jobs[0].lab != jobs[1].lab:
        message = _("#%(a)s 与 #%(b)s 是不同的实验（%(lab_a)s、%(lab_b)s），不能并排对比。") % {
            "a": jobs[0].pk, "b": jobs[1].pk, "lab_a": registry.title(jobs[0].lab),
            "lab_b": registry.title(jobs[1].lab)}
        return render(request, "labs/lab_compare.html", {"jobs": jobs, "refused": message}, status=400)
    context = {"jobs": jobs, "title": registry.title(jobs[0].lab), **comparison(*jobs, registry.headline)}
    return render(request, "labs/lab_compare.html", context)


@require_POST
def lab_job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(LabJob, pk=pk, user=request.user)
    if services.job_cancel(user=request.user, job=job):
        messages.success(request, _("任务已取消。"))
    return redirect("lab_job", pk=pk)


@require_POST
def runner_create(request: HttpRequest) -> HttpResponse:
    name = (request.POST.get("name") or "").strip()[:80] or _("我的 GPU")
    if "\x00" in name:
        messages.error(request, _("runner 名称里有 NUL 字符（\\0），未创建。"))
        return redirect("labs")
    runner, token = Runner.create_with_token(owner=request.user, name=name)
    # The token is shown once, on this response only; the database keeps its hash.
    return render(request, "labs/runner_token.html", {"runner": runner, "token": token})


@require_POST
def runner_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    runner = get_object_or_404(Runner, pk=pk, owner=request.user)
    services.runner_revoke(runner=runner)
    messages.success(request, _("runner 已吊销。"))
    return redirect("labs")
