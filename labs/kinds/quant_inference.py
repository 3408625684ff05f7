"""quant-inference on the site: precisions side by side (memory, speed, quality)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from labs.charts import MB, bar_chart, is_number, num, telemetry_lines
from labs.kinds import Lab


def quant_view(result: dict) -> dict:
    rows, tps, mem = [], [], []
    for e in result.get("precisions", []):
        if e.get("status") != "ok":
            rows.append([e.get("precision"), e.get("status"), e.get("reason") or e.get("error", ""), *[""] * 7])
            continue
        memory = e.get("memory") or {}
        peak = memory.get("cuda_max_allocated_bytes") or memory.get("peak_rss_bytes")
        quality = e.get("quality") or {}
        rows.append(
            [
                e["precision"],
                "ok",
                e.get("backend", ""),
                num(e.get("weight_bytes", 0) / MB, "{:.1f}"),
                num(peak / MB if peak else None, "{:.0f}"),
                num(e.get("load_s")),
                num(
                    (e.get("prefill_latency_s") or {}).get("median", None) and e["prefill_latency_s"]["median"] * 1000,
                    "{:.1f}",
                ),
                num(e.get("decode_tokens_per_s"), "{:.1f}"),
                num(quality.get("top1_agreement"), "{:.3f}"),
                num(quality.get("mean_kl"), "{:.4f}"),
                num(quality.get("perplexity")),
                num(e.get("mbu") and e["mbu"] * 100, "{:.0f}%"),
                num(e.get("achieved_gb_per_s"), "{:.0f}"),
                {True: "yes", False: "no"}.get(e.get("compiled"), "—"),
            ]
        )
        tps.append((e["precision"], e.get("decode_tokens_per_s")))
        mem.append((e["precision"], peak / MB if peak else None))
    headers = [
        "precision",
        "status",
        "backend",
        "weights MB",
        "peak MB",
        "load s",
        "prefill ms",
        "decode tok/s",
        "top-1 agree",
        "mean KL",
        "ppl",
        "MBU",
        "achieved GB/s",
        "compiled",
    ]
    for row in rows:
        row.extend([""] * (len(headers) - len(row)))
    timed = [(e["precision"], e["telemetry"]) for e in result.get("precisions", [])
             if e.get("status") == "ok" and isinstance(e.get("telemetry"), dict)]
    return {
        "headers": headers,
        "rows": rows,
        "charts": [bar_chart("decode tokens/s", tps, "tok/s"), bar_chart("peak memory", mem, "MB")],
        "lines": telemetry_lines(timed, gettext("计时运行期间")),
    }


def quant_evidence(result: dict) -> str:
    """e.g. "int8: 41.0 tok/s, 120 MiB; fp32: 30.2 tok/s, 480 MiB"."""
    parts = []
    for e in result.get("precisions", []):
        if e.get("status") == "ok":
            memory = e.get("memory") or {}
            peak = memory.get("cuda_max_allocated_bytes") or memory.get("peak_rss_bytes") or 0
            mbu = f", MBU {e['mbu'] * 100:.0f}%" if e.get("mbu") else ""
            parts.append(f"{e['precision']}: {e.get('decode_tokens_per_s', 0):.1f} tok/s, {peak / MB:.0f} MiB{mbu}")
    return "; ".join(parts)


def quant_headline(result: dict) -> dict[str, tuple[float, str]]:
    """Decode tokens/s per precision (failed or missing entries left out); a precision that quantized only part of
    the Linear weights says how much in its label (torchao int4 on SmolLM2-135M quantizes down_proj alone)."""
    return {_quant_label(e): (e["decode_tokens_per_s"], "tok/s") for e in result.get("precisions", [])
            if e.get("status") == "ok" and is_number(e.get("decode_tokens_per_s"))}


def quant_repeats(result: dict) -> dict[str, list[float]]:
    """Decode tokens/s of each timed run, per precision (the headline's labels)."""
    return {_quant_label(e): list(e.get("decode_tokens_per_s_runs") or []) for e in result.get("precisions", [])
            if e.get("status") == "ok" and is_number(e.get("decode_tokens_per_s"))}


def _quant_label(entry: dict) -> str:
    share = entry.get("quantized_weight_share")
    if entry["precision"] in ("int8", "int8-wo", "int4") and is_number(share) and share < 0.995:
        return f"{entry['precision']} ({share:.0%} quantized)"
    return entry["precision"]


KIND = Lab(
    slug="quant-inference",
    title=_("量化推理对比"),
    subtitle=_("同一模型在 fp32/bf16/fp16/int8/int4 下的显存、速度与质量"),
    skills=("quantization", "gpu-memory"),
    summarise=quant_view, headline=quant_headline, evidence=quant_evidence, repeats=quant_repeats,
    labels={"precisions": _("精度"), "quality_tokens": _("质量评估的 token 数"),
            "compile": _("torch.compile 解码（所有精度一致；仅 CUDA）"),
            "checkpoints": _("预量化检查点（runner 上 GPTQ / AWQ 模型目录的绝对路径）")},
)
