"""Every quant, batch, serving and long-context job read against the capacity planner: the planner's bound for the
job's model, hardware and settings beside the measured figure, the share reached, a sentence when the share is
far off, and a link that opens the planner with the job's settings.

This glue lives in evidence, the layer above both labs and planner (which may not import each other). The
hardware is the runner's own: a CUDA job's measured bandwidth when its result carries one (quant-inference),
else the datasheet of the GPU its runner reported; a CPU job's bandwidth and matmul rate as the runner measured
them at start (gpu_runner.measure.bandwidth, in system_info.cpu). No figure, no bound: the page says why.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from labs.stages import note_text
from planner import capacity, catalog, hardware
from planner.capacity import ConfigError, Hardware, ModelShape, Settings
from planner.views import planner_url

LAB_MODELS = Path(__file__).resolve().parent / "lab_models"
LABS = ("quant-inference", "vllm-batch", "serving-bench", "long-context")
FAR_BELOW = 0.3
# The runner's precisions as the planner stores them: bits and quantization group (0: per output channel).
PRECISIONS = {"fp32": ("fp32", 0), "bf16": ("bf16", 0), "fp16": ("fp16", 0), "int8": ("int8", 0),
              "int8-wo": ("int8", 0), "int4": ("int4", 128), "nf4": ("int4", 64), "gptq": ("int4", 128),
              "awq": ("int4", 128)}
MAX_LINK_CONFIG = 6000  # a local model's config.json travels in the planner link only when it is this short


@dataclass
class Row:
    """One measured figure against its bound. kind: "rate" (higher is better: share = measured / bound),
    "time" (lower is better: share = bound / measured) or "bytes" (an exact count: share = measured / computed)."""

    label: str
    kind: str
    measured: float
    bound: float
    unit: str
    detail: str = ""
    link: str = ""

    @property
    def share(self) -> float | None:
        if not self.measured or not self.bound:
            return None
        return self.bound / self.measured if self.kind == "time" else self.measured / self.bound

    @property
    def share_pct(self) -> str:
        if self.share is None:
            return ""
        pct = self.share * 100
        return f"{pct:.1f}%" if pct < 10 else f"{pct:.0f}%"  # a CPU's int8 decode reaches a fraction of 1%

    @property
    def verdict(self) -> str:
        """A sentence when the share is far from its bound; "" when it is in the plausible range."""
        share = self.share
        if share is None or self.kind == "bytes":
            if share is not None and abs(share - 1) > 0.01:
                return _("实测与按 config 计算的字节数相差 %(pct)s：config、精度或缓存的实现与计算的假设不同。") % {
                    "pct": f"{abs(share - 1) * 100:.0f}%"}
            return ""
        if share > 1.0:
            return _("超过了上限：测量不可能快于下限所允许的，所以是上限或它的输入错了（带宽、算力、config 或精度），"
                     "请核对下面的输入。")
        if share < FAR_BELOW:
            return _("不到上限的 30%：时间花在了上限没算的地方（每步的 Python 与内核启动开销、反量化、调度、"
                     "HTTP 与分词），小模型和小批量时尤其如此。")
        return ""

    @property
    def measured_text(self) -> str:
        return self.fmt(self.measured)

    @property
    def bound_text(self) -> str:
        return self.fmt(self.bound)

    def fmt(self, value: float) -> str:
        if self.kind == "time":
            return f"{value * 1000:.2f} ms"
        if self.kind == "bytes":
            return f"{value:,.0f} B"
        return f"{value:.1f} {self.unit}"


@dataclass
class JobBound:
    lab: str
    model: str = ""
    hardware: str = ""
    bandwidth: str = ""  # the bandwidth used and where it came from
    compute: str = ""
    missing: str = ""  # why there is no bound (no config, no bandwidth)
    rows: list[Row] = field(default_factory=list)

    @property
    def best(self) -> Row | None:
        """The row with the highest share of its bound (the exact byte checks aside)."""
        rated = [r for r in self.rows if r.kind != "bytes" and r.share is not None]
        return max(rated, key=lambda r: r.share) if rated else None


# ---- the model -----------------------------------------------------------------------------------------------


@cache
def _fixture_config() -> dict:
    return json.loads((LAB_MODELS / "fixture.json").read_text(encoding="utf-8"))


def model_config(result: dict) -> tuple[str, dict | None, dict[str, str]]:
    """(name, config.json or None, planner link parameters) for the model a result ran: the built-in refs from
    copies kept here, a local directory from the config the runner reported (if it did)."""
    info = result.get("model_info") or result.get("model_description") or {}
    ref = str(info.get("ref") or result.get("model") or "")
    name = str(info.get("name") or ref)
    if ref == "fixture":
        config = _fixture_config()
        return name, config, {"model": "pasted", "config": json.dumps(config, separators=(",", ":"))}
    if ref in {m.slug for m in catalog.models()}:
        return name, catalog.model(ref).config, {"model": ref}
    config = info.get("config")
    if isinstance(config, dict):
        text = json.dumps(config, separators=(",", ":"))
        return name, config, {"model": "pasted", "config": text} if len(text) <= MAX_LINK_CONFIG else {}
    return name, None, {}


# ---- the hardware --------------------------------------------------------------------------------------------


def _tokens(name: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", name.lower()))


def datasheet_gpu(device_name: str) -> hardware.Gpu | None:
    """The planner's GPU for a CUDA device name ("NVIDIA GeForce RTX 4070 Laptop GPU" -> RTX 4070 Laptop): every
    token of the table's name but its form factor in the device's, laptops only for laptops; the SXM part unless
    the name says PCIe."""
    tokens = _tokens(device_name)
    hits = []
    for gpu in hardware.GPUS:
        needs = _tokens(gpu.hardware.name) - {"sxm", "pcie"}
        if needs <= tokens and ("laptop" in needs) == ("laptop" in tokens):
            hits.append((len(needs), ("pcie" in _tokens(gpu.hardware.name)) == ("pcie" in tokens), gpu))
    return max(hits, key=lambda h: (h[0], h[1]))[2] if hits else None


def runner_hardware(result: dict, system_info: dict) -> tuple[Hardware | None, dict[str, str], str, str]:
    """(Hardware, planner link parameters, bandwidth line, compute line); Hardware is None when the runner gave
    no bandwidth. A compute figure nobody measured or published is infinite: the bound then counts bytes only."""
    if result.get("device") == "cuda":
        devices = system_info.get("cuda_devices") or [{}]
        name = str(devices[0].get("name") or "CUDA GPU")
        sheet = datasheet_gpu(name)
        measured = (result.get("device_bandwidth") or {}).get("gb_per_s")
        if measured:
            bw, bw_line = float(measured), _("%(bw).1f GB/s（runner：%(source)s）") % {
                "bw": measured, "source": note_text(result["device_bandwidth"].get("source", ""))}
        elif sheet:
            bw, bw_line = sheet.hardware.bandwidth_gb_s, _("%(bw).0f GB/s（数据手册：%(source)s）") % {
                "bw": sheet.hardware.bandwidth_gb_s, "source": sheet.source}
        else:
            return None, {}, "", ""
        memory = devices[0].get("memory_bytes")
        memory_gib = memory / capacity.GIB if memory else (sheet.hardware.memory_gib if sheet else 0)
        tflops = sheet.hardware.fp16_tflops if sheet else math.inf
        compute = _("%(t).0f TFLOPS（数据手册，FP16/BF16 稠密）") % {"t": tflops} if sheet else _("未知：只按字节计")
        hw = Hardware(name, memory_gib, bw, tflops)
        link = {"gpu": sheet.slug if sheet else "custom", "bw": f"{bw:g}", "mem": f"{memory_gib:.1f}"}
        return hw, link, bw_line, compute
    cpu = system_info.get("cpu") or {}
    bw = cpu.get("memory_bandwidth_gb_s")
    if not bw:
        return None, {}, "", ""
    gflops = cpu.get("matmul_gflops")
    memory_gib = (system_info.get("ram_bytes") or 0) / capacity.GIB
    hw = Hardware(str(cpu.get("model") or "CPU"), memory_gib, float(bw), gflops / 1000 if gflops else math.inf)
    bw_line = _("%(bw).1f GB/s（runner 实测：内存复制，读与写都计入）") % {"bw": bw}
    compute = (_("%(g).1f GFLOP/s（runner 实测：fp32 矩阵乘）") % {"g": gflops}) if gflops else _("未知：只按字节计")
    link = {"gpu": "custom", "bw": f"{bw:g}", "mem": f"{memory_gib:.1f}"}
    if gflops:
        link["tflops"] = f"{gflops / 1000:g}"
    return hw, link, bw_line, compute


# ---- each lab's rows -----------------------------------------------------------------------------------------


def _float_kind(result: dict, dtype: str | None = None) -> str:
    """The compute (and KV-cache) precision: the job's float dtype, fp32 on a CPU and bf16 on a GPU by default."""
    if dtype in ("fp32", "bf16", "fp16"):
        return dtype
    return "fp32" if result.get("device") != "cuda" else "bf16"


def _decode_row(m: ModelShape, hw: Hardware, s: Settings, label: str, measured: float, unit: str,
                link: dict[str, str]) -> Row:
    step = capacity.decode_step(m, hw, s)
    detail = _("B=%(b)d，上下文 %(c)d：每步读 %(bytes)s 字节，%(bound)s") % {
        "b": s.batch, "c": s.context, "bytes": f"{step['bytes_read']:,.0f}",
        "bound": _("受带宽限制") if step["bound"] == "memory" else _("受算力限制")}
    return Row(label, "rate", measured, step["tokens_per_s"], unit, detail, _link(link, s))


def _link(base: dict[str, str], s: Settings) -> str:
    return planner_url(**base, precision=s.precision, group=s.group_size, kv=s.kv_precision, context=s.context,
                       batch=s.batch, tp=1, reserve=s.reserve, overhead=0, engine=s.engine)


def quant_rows(m: ModelShape, hw: Hardware, result: dict, params: dict, link: dict[str, str]) -> list[Row]:
    st = result.get("settings") or {}
    rows = []
    for entry in result.get("precisions") or []:
        if entry.get("status") != "ok" or not entry.get("decode_tokens_per_s"):
            continue
        precision, group = PRECISIONS.get(entry["precision"], ("bf16", 0))
        kv = _float_kind(result, entry["precision"])
        # the mean decode step of gen_len tokens after prompt_len reads the KV of prompt_len + gen_len / 2
        s = Settings(precision=precision, group_size=group, kv_precision=kv, batch=int(st.get("batch") or 1),
                     context=int(st.get("prompt_len", 1)) + int(st.get("gen_len", 0)) // 2, reserve=1.0,
                     overhead_gib=0, engine="hf")
        rows.append(_decode_row(m, hw, s, _("解码 %(p)s") % {"p": entry["precision"]},
                                entry["decode_tokens_per_s"], "tok/s", link))
    return rows


def vllm_batch_rows(m: ModelShape, hw: Hardware, result: dict, params: dict, link: dict[str, str]) -> list[Row]:
    w = result.get("workload") or {}
    batches = {"hf-sequential": 1, "hf-static-batch": w.get("static_batch_size") or 1}
    dtype = _float_kind(result, result.get("dtype"))
    rows = []
    for entry in result.get("engines") or []:
        if entry.get("status") != "ok" or not entry.get("output_tokens_per_s"):
            continue
        # continuous batching and vLLM may hold every prompt at once: the bound at that batch is the highest
        batch = int(batches.get(entry["engine"]) or w.get("num_prompts") or 1)
        engine = "paged" if entry["engine"] == "vllm" else "hf"
        s = Settings(precision=dtype, kv_precision=dtype, batch=batch, engine=engine, overhead_gib=0,
                     reserve=0.9 if engine == "paged" else 1.0,
                     context=int(w.get("prompt_tokens", 1)) + int(w.get("output_tokens", 0)) // 2)
        rows.append(_decode_row(m, hw, s, _("输出 %(e)s") % {"e": entry["engine"]}, entry["output_tokens_per_s"],
                                "tok/s", link))
    return rows


def serving_rows(m: ModelShape, hw: Hardware, result: dict, params: dict, link: dict[str, str]) -> list[Row]:
    w = result.get("workload") or {}
    dtype = _float_kind(result, params.get("dtype"))
    rows = []
    for entry in result.get("engines") or []:
        if entry.get("status") != "ok":
            continue
        for level in entry.get("levels") or []:
            if not level.get("output_throughput"):
                continue
            batch = int(level.get("max_concurrent_requests") or level.get("concurrency") or 1)
            engine = "paged" if entry["engine"] == "vllm" else "hf"
            s = Settings(precision=dtype, kv_precision=dtype, batch=batch, engine=engine, overhead_gib=0,
                         reserve=0.9 if engine == "paged" else 1.0,
                         context=int(w.get("prompt_tokens", 1)) + int(w.get("output_tokens", 0)) // 2)
            where = (_("并发 %(n)s") % {"n": level["concurrency"]} if level.get("mode") == "concurrency"
                     else _("%(r)s 请求/秒") % {"r": level.get("request_rate")})
            rows.append(_decode_row(m, hw, s, f"{entry['engine']} · {where}", level["output_throughput"],
                                    "tok/s", link))
    return rows


def long_context_rows(m: ModelShape, hw: Hardware, result: dict, params: dict, link: dict[str, str]) -> list[Row]:
    dtype = _float_kind(result, result.get("dtype"))
    setting = next((s for s in result.get("settings") or [] if s.get("status") == "ok"), None)
    rows = []
    for cell in (setting or {}).get("cells") or []:
        length = int(cell["length"])
        s = Settings(precision=dtype, kv_precision=dtype, context=length, batch=1, engine="hf", reserve=1.0,
                     overhead_gib=0)
        if cell.get("prefill_s"):
            pre = capacity.prefill(m, hw, s)
            detail = _("%(flops)s FLOP，读权重 %(bytes)s 字节，%(bound)s") % {
                "flops": f"{pre['flops']:.3g}", "bytes": f"{capacity.weight_bytes(m, dtype)['total']:,.0f}",
                "bound": _("受算力限制") if pre["bound"] == "compute" else _("受带宽限制")}
            rows.append(Row(_("预填充 %(n)d token（%(s)s）") % {"n": length, "s": setting["setting"]}, "time",
                            cell["prefill_s"], pre["seconds"], "s", detail, _link(link, s)))
        if cell.get("kv_cache_bytes"):
            kv = capacity.kv_bytes_per_sequence(m, length, dtype)
            rows.append(Row(_("KV cache %(n)d token") % {"n": length}, "bytes", cell["kv_cache_bytes"], kv, "B",
                            _("2 × 层数 × KV 头数 × head_dim × 字节数 × token 数"), _link(link, s)))
    return rows


ROWS = {"quant-inference": quant_rows, "vllm-batch": vllm_batch_rows, "serving-bench": serving_rows,
        "long-context": long_context_rows}


def job_bound(lab: str, result: Any, system_info: Any, params: Any = None) -> JobBound | None:
    """The bound block of one job; None for a lab the planner does not bound or a job without a result."""
    if lab not in ROWS or not isinstance(result, dict):
        return None
    name, config, model_link = model_config(result)
    out = JobBound(lab=lab, model=name)
    if config is None:
        out.missing = _("没有 config：runner 没有报告这个本地模型的 config.json，规划器无法给出上限。")
        return out
    try:
        shape = capacity.shape_from_config(config)
    except ConfigError as exc:
        out.missing = _("config.json 的字段 %(field)s：%(message)s") % {"field": exc.field, "message": exc.message}
        return out
    hw, hw_link, out.bandwidth, out.compute = runner_hardware(result, system_info or {})
    if hw is None:
        out.missing = _("runner 没有报告显存或内存带宽（较早版本的 runner），无法给出上限。")
        return out
    out.hardware = hw.name
    out.rows = ROWS[lab](shape, hw, result, params or {}, {**model_link, **hw_link})
    return out
