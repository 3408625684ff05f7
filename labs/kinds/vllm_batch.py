"""vllm-batch on the site: engines side by side (throughput, latency, padding waste)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from labs.charts import bar_chart, is_number, num, plain
from labs.kinds import Lab


def vllm_view(result: dict) -> dict:
    rows, rps = [], []
    for e in result.get("engines", []):
        if e.get("status") != "ok":
            rows.append(
                [e.get("engine"), e.get("status"), e.get("reason") or e.get("error", ""), "", "", "", "", "", ""]
            )
            continue
        lat = e.get("latency_s") or {}
        rows.append(
            [
                e["engine"],
                "ok",
                num(e.get("requests_per_s")),
                num(e.get("output_tokens_per_s"), "{:.1f}"),
                num(e.get("total_tokens_per_s"), "{:.1f}"),
                num(lat.get("mean")),
                num(lat.get("p50")),
                num(lat.get("p99")),
                num(e.get("speedup_vs_sequential"), "{:.2f}×"),
            ]
        )
        rps.append((e["engine"], e.get("output_tokens_per_s")))
    headers = [
        "engine",
        "status",
        "req/s",
        "output tok/s",
        "total tok/s",
        "latency mean s",
        "p50 s",
        "p99 s",
        "speedup",
    ]
    tables = [{"title": gettext("%(engine)s 的 vLLM 设置") % {"engine": e["engine"]}, "headers": [],
               "rows": [[str(k), plain(v)] for k, v in sorted(e["vllm_settings"].items())]}
              for e in result.get("engines", []) if isinstance(e.get("vllm_settings"), dict)]
    return {"headers": headers, "rows": rows, "charts": [bar_chart("output tokens/s", rps, "tok/s")], "tables": tables}


def vllm_evidence(result: dict) -> str:
    return "; ".join(
        f"{e['engine']}: {e.get('output_tokens_per_s', 0):.1f} out tok/s"
        + (f" ({e['speedup_vs_sequential']:.2f}×)" if e.get("speedup_vs_sequential") else "")
        for e in result.get("engines", []) if e.get("status") == "ok")


def vllm_headline(result: dict) -> dict[str, tuple[float, str]]:
    """Output tokens/s per engine."""
    return {e["engine"]: (e["output_tokens_per_s"], "tok/s") for e in result.get("engines", [])
            if e.get("status") == "ok" and is_number(e.get("output_tokens_per_s"))}


def vllm_repeats(result: dict) -> dict[str, list[float]]:
    """Output tokens/s of each repeat, per engine: the same output tokens over each run's duration."""
    out = {}
    for e in result.get("engines", []):
        if e.get("status") == "ok" and is_number(e.get("output_tokens_per_s")) and is_number(e.get("duration_s")):
            tokens = e["output_tokens_per_s"] * e["duration_s"]
            out[e["engine"]] = [tokens / d for d in e.get("run_durations_s") or [] if is_number(d) and d > 0]
    return out


KIND = Lab(
    slug="vllm-batch",
    title=_("批处理吞吐"),
    subtitle=_("逐条 HF、静态批处理、连续批处理（transformers / vLLM）的吞吐与延迟"),
    skills=("inference-acceleration",),
    summarise=vllm_view, headline=vllm_headline, evidence=vllm_evidence, repeats=vllm_repeats,
    labels={"num_prompts": _("请求数"), "prompt_len_min": _("最短提示长度"),
            "prompt_len_max": _("最长提示长度"), "output_len": _("输出长度"),
            "output_len_max": _("最长输出长度（留空则固定）"), "static_batch_size": _("静态批大小"),
            "gpu_memory_utilization": _("vLLM 的 gpu_memory_utilization（0–0.95，留空由 runner 按空闲显存决定）")},
)
