"""vllm-batch on the site: engines side by side (throughput, latency, padding waste)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from labs.charts import bar_chart, is_number, num, plain
from labs.kinds import Lab, rule
from labs.stages import unmeasured as _unmeasured


def vllm_view(result: dict) -> dict:
    rows, rps = [], []
    for e in result.get("engines", []):
        if e.get("status") != "ok":
            rows.append(
                [e.get("engine"), *_unmeasured(e), "", "", "", "", "", ""]
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
        gettext("引擎"),
        gettext("状态"),
        "req/s",
        gettext("输出 tok/s"),
        gettext("总 tok/s"),
        gettext("平均延迟 s"),
        gettext("延迟 p50 s"),
        gettext("延迟 p99 s"),
        gettext("加速比"),
    ]
    tables = [{"title": gettext("%(engine)s 的 vLLM 设置") % {"engine": e["engine"]}, "headers": [],
               "rows": [[str(k), plain(v)] for k, v in sorted(e["vllm_settings"].items())]}
              for e in result.get("engines", []) if isinstance(e.get("vllm_settings"), dict)]
    return {"headers": headers, "rows": rows, "charts": [bar_chart(gettext("输出吞吐"), rps, "tok/s")],
            "tables": tables}


def vllm_evidence(result: dict) -> str:
    return "; ".join(
        gettext("%(engine)s：输出 %(tps).1f tok/s") % {"engine": e["engine"], "tps": e.get("output_tokens_per_s", 0)}
        + (f" ({e['speedup_vs_sequential']:.2f}×)" if e.get("speedup_vs_sequential") else "")
        for e in result.get("engines", []) if e.get("status") == "ok")


def vllm_headline(result: dict) -> dict[str, tuple[float, str]]:
    """Output tokens/s per engine."""
    return {e["engine"]: (e["output_tokens_per_s"], "tok/s") for e in result.get("engines", [])
            if e.get("status") == "ok" and is_number(e.get("output_tokens_per_s"))}


def vllm_explain(result: dict) -> list[dict]:
    """What to notice: the padding waste of static batching, what continuous batching gains, and why batching
    gains little on a CPU."""
    ok = {e["engine"]: e for e in result.get("engines", []) if e.get("status") == "ok"}
    rules = []
    static, cont = ok.get("hf-static-batch"), ok.get("hf-continuous-batching")
    waste = static and static.get("wasted_token_fraction")
    if is_number(waste) and waste >= 0.1:
        rules.append(rule("static-padding-waste", gettext(
            "静态批处理生成的 token 里有 %(w).0f%% 是补齐浪费：一批要等最长的请求结束，先结束的行还在空算。"
            "让所有请求输出一样长，这个浪费就消失。") % {"w": waste * 100},
            "measurement-methodology", "batch", {"output_len": 32, "output_len_max": 32}))
    ratio = (result.get("continuous_vs_static") or {}).get("output_tokens_per_s_ratio")
    if static and cont and is_number(ratio) and ratio >= 1.5:
        rules.append(rule("continuous-beats-static", gettext(
            "连续批处理的输出吞吐是静态批处理的 %(r).1f 倍：一个请求结束，它的槽位下一步就交给等待的请求，"
            "不用等整批结束，也没有补齐；所有请求一开始就交给了它，它总能把槽位填满。") % {"r": ratio},
            "continuous-batching", "_3", {"num_prompts": 64}))
    seq_speedup = static and static.get("speedup_vs_sequential")
    if result.get("device") == "cpu" and is_number(seq_speedup) and seq_speedup < 1.3:
        rules.append(rule("static-no-gain-on-cpu", gettext(
            "在 CPU 上静态批处理几乎不比逐条快（%(s).2f×）：CPU 的矩阵乘在 batch 1 时已接近算力上限，"
            "一批 N 行就要 N 倍计算；GPU 解码受带宽限制，读一遍权重能服务整批，批处理在那里才有大收益。")
            % {"s": seq_speedup}, "decode-bandwidth-bound", "_4", {"static_batch_size": 16, "num_prompts": 32}))
    return rules


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
    summarise=vllm_view, headline=vllm_headline, evidence=vllm_evidence, explain=vllm_explain,
    repeats=vllm_repeats,
    labels={"num_prompts": _("请求数"), "prompt_len_min": _("最短提示长度"),
            "prompt_len_max": _("最长提示长度"), "output_len": _("输出长度"),
            "output_len_max": _("最长输出长度（留空则固定）"), "static_batch_size": _("静态批大小"),
            "gpu_memory_utilization": _("vLLM 的 gpu_memory_utilization（0–0.95，留空由 runner 按空闲显存决定）")},
)
