"""The planner's inputs from query parameters (so every plan is a link a job page can open prefilled):
model or pasted config.json, GPU (a published one, a runner's measured figures, or bw/mem given directly),
precisions, context, batch, tensor-parallel degree, the engine's reserved share and overhead."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from planner import catalog, hardware
from planner.capacity import KV_BITS, ConfigError, Hardware, ModelShape, Settings, shape_from_config

PASTED = "pasted"
CUSTOM = "custom"
MAX_CONFIG_CHARS = 64_000

# The plan's first question: Qwen-7B-Chat-Int4 on an RTX 4070 Laptop with 8 GB, generating 2048 tokens with
# Qwen's own transformers code (which keeps the old and the new KV cache during a step).
FIRST_QUESTION = {"model": "qwen-7b", "gpu": "rtx-4070-laptop", "precision": "int4", "group": 128, "kv": "bf16",
                  "context": 2048, "batch": 1, "tp": 1, "reserve": 1.0, "overhead": 0.5, "engine": "hf"}


class PlanForm(forms.Form):
    model = forms.ChoiceField(label=_("模型"))
    config = forms.CharField(label=_("粘贴 config.json"), required=False, max_length=MAX_CONFIG_CHARS,
                             widget=forms.Textarea(attrs={"rows": 6, "class": "code", "spellcheck": "false"}))
    gpu = forms.ChoiceField(label=_("GPU"))
    bw = forms.FloatField(label=_("实测显存带宽 (GB/s)"), required=False, min_value=1, max_value=100_000)
    mem = forms.FloatField(label=_("显存 (GiB)"), required=False, min_value=0.5, max_value=4096)
    tflops = forms.FloatField(label=_("FP16 算力 (TFLOPS)"), required=False, min_value=0.1, max_value=100_000)
    precision = forms.ChoiceField(label=_("权重精度"),
                                  choices=[(p, p) for p in ("bf16", "fp16", "fp32", "int8", "int4")])
    group = forms.IntegerField(label=_("量化分组大小"), min_value=0, max_value=65_536,
                               help_text=_("0 表示按输出通道"))
    kv = forms.ChoiceField(label=_("KV cache 精度"), choices=[(k, k) for k in KV_BITS])
    context = forms.IntegerField(label=_("上下文长度 (token)"), min_value=1, max_value=1_048_576)
    batch = forms.IntegerField(label=_("并发序列数"), min_value=1, max_value=4096)
    tp = forms.TypedChoiceField(label=_("张量并行度"), coerce=int, choices=[(n, n) for n in (1, 2, 4, 8)])
    reserve = forms.FloatField(label=_("引擎可用显存比例"), min_value=0.05, max_value=1.0,
                               help_text=_("vLLM 的 gpu_memory_utilization"))
    overhead = forms.FloatField(label=_("固定开销 (GiB)"), min_value=0, max_value=64,
                                help_text=_("CUDA context、cuBLAS 工作区、分配器余量"))
    engine = forms.ChoiceField(label=_("引擎"), choices=[
        ("paged", _("vLLM（PagedAttention，按块分配 KV）")),
        ("hf", _("Transformers（拼接式 KV：一步之中新旧两份同时存在）")),
    ])

    def __init__(self, data: Any = None, *, devices: list[dict[str, Any]] = (), **kwargs: Any):
        super().__init__(data, **kwargs)
        self.devices = {d["key"]: d for d in devices}
        self.fields["model"].choices = ([(m.slug, m.name) for m in catalog.models()]
                                        + [(PASTED, _("粘贴的 config.json"))])
        self.fields["gpu"].choices = (
            [(g.slug, g.hardware.name) for g in hardware.GPUS]
            + [(d["key"], d["name"]) for d in devices]
            + [(CUSTOM, _("自定义（填写带宽与显存）"))]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            data["shape"] = self._shape(data)
        except ConfigError as exc:
            self.add_error("config", _("config.json 的字段 %(field)s：%(message)s") % {"field": exc.field,
                                                                                      "message": exc.message})
        data["hw"] = self._hardware(data)
        shape = data.get("shape")
        if shape and data["tp"] > 1 and shape.heads % data["tp"]:
            self.add_error("tp", _("注意力头数 %(heads)d 不能被张量并行度 %(tp)d 整除") % {"heads": shape.heads,
                                                                                           "tp": data["tp"]})
        return data

    def _shape(self, data: dict[str, Any]) -> ModelShape:
        if data["model"] != PASTED:
            return catalog.model(data["model"]).shape
        text = (data.get("config") or "").strip()
        if not text:
            raise ConfigError("config.json", str(_("选择“粘贴的 config.json”时请粘贴内容")))
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError("config.json", str(_("不是合法的 JSON（第 %(line)d 行第 %(col)d 列：%(msg)s）") % {
                "line": exc.lineno, "col": exc.colno, "msg": exc.msg})) from None
        return shape_from_config(parsed)

    def _hardware(self, data: dict[str, Any]) -> Hardware | None:
        key = data["gpu"]
        if key in hardware.BY_SLUG:
            hw = hardware.BY_SLUG[key].hardware
        elif key in self.devices:
            d = self.devices[key]
            hw = Hardware(d["name"], float(d["memory_gib"]), float(d["bandwidth_gb_s"]),
                          float(d.get("fp16_tflops") or 0) or 40.0)
        else:
            for name in ("bw", "mem"):
                if data.get(name) is None:
                    self.add_error(name, _("自定义 GPU 需要填写这一项"))
            if data.get("bw") is None or data.get("mem") is None:
                return None
            return Hardware(str(_("自定义 GPU")), data["mem"], data["bw"], data.get("tflops") or 40.0)
        # a measured bandwidth (a runner's) replaces the datasheet's, the rest of the card stays
        changes = {k: v for k, v in (("bandwidth_gb_s", data.get("bw")), ("memory_gib", data.get("mem")),
                                     ("fp16_tflops", data.get("tflops"))) if v is not None}
        return Hardware(**{**hw.__dict__, **changes}) if changes else hw

    def settings(self) -> Settings:
        d = self.cleaned_data
        return Settings(precision=d["precision"], group_size=d["group"], kv_precision=d["kv"], context=d["context"],
                        batch=d["batch"], tp=d["tp"], reserve=d["reserve"], overhead_gib=d["overhead"],
                        engine=d["engine"])


def form_data(query: Any) -> dict[str, Any]:
    """The first question's inputs, overridden by whatever the query string gives."""
    data = {k: str(v) for k, v in FIRST_QUESTION.items()}
    data["config"] = ""
    for key in PlanForm.base_fields:
        if key in query:
            data[key] = query.get(key)
    return data
