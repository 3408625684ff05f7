"""The ONNX Runtime lab's page: each (precision, execution provider) beside PyTorch from the same job — prefill,
decode, parity — the exported graphs' facts (file size, op counts, fused ONNX Runtime ops), and what the learner
sees, with its sources."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from labs.charts import bar_chart as _bars
from labs.charts import is_number as _number
from labs.charts import num as _num
from labs.kinds import Lab

MB = 1024 * 1024
SOURCES = (
    "https://onnxruntime.ai/docs/performance/transformers-optimization.html",
    "https://onnxruntime.ai/docs/performance/model-optimizations/quantization.html",
    "https://github.com/microsoft/onnxruntime/blob/main/docs/ContribOperators.md",
    "https://pytorch.org/docs/stable/onnx_dynamo.html",
)


def _label(run: dict) -> str:
    return f"ORT {run.get('precision')} / {run.get('provider')}"


def onnx_export_view(result: dict) -> dict:
    pt = result.get("pytorch") or {}
    runs = result.get("runs") or []
    ok = [r for r in runs if r.get("status") == "ok"]
    export = result.get("export") or {}
    graphs = export.get("graphs") or []
    headers = ["backend", "prefill median (s)", "decode tok/s", "prefill × PyTorch", "decode × PyTorch",
               "max |Δlogit|", "top-1", "KL", "greedy identical", "peak RSS (MiB)"]
    rows = []
    if pt.get("status") == "ok":
        rows.append([f"PyTorch fp32 ({gettext('参照')})", _num(pt["prefill_latency_s"]["median"], "{:.4f}"),
                     _num(pt["decode_tokens_per_s"]), "1.00", "1.00", "0", "100%", "0",
                     f"{len(pt.get('greedy_tokens') or [])}/{len(pt.get('greedy_tokens') or [])}",
                     _num((pt.get("memory") or {}).get("peak_rss_bytes", 0) / MB, "{:.0f}")])
    elif pt:
        rows.append(["PyTorch fp32", pt.get("status"), pt.get("reason") or pt.get("error", ""), *[""] * 7])
    for r in runs:
        if r.get("status") != "ok":
            rows.append([_label(r), r.get("status"), r.get("reason") or r.get("error", ""), *[""] * 7])
            continue
        q = r["parity"]
        rows.append([_label(r), _num(r["prefill_latency_s"]["median"], "{:.4f}"), _num(r["decode_tokens_per_s"]),
                     _num(r.get("prefill_speedup_vs_pytorch")), _num(r.get("decode_speedup_vs_pytorch")),
                     _num(q["max_abs_logit_diff"], "{:.3g}"), _num(q["top1_agreement"], "{:.0%}"),
                     _num(q["mean_kl"], "{:.2e}"), f"{q['greedy_identical_tokens']}/{q['greedy_tokens']}",
                     _num(r["memory"]["peak_rss_bytes"] / MB, "{:.0f}")])
    graph_rows, fused_names = [], sorted({op for g in graphs for op in (g.get("fused_ops") or {})})
    for g in graphs:
        if g.get("status") != "ok":
            graph_rows.append([g.get("precision"), g.get("status"), g.get("reason") or g.get("error", ""), "", "",
                               *[""] * len(fused_names)])
            continue
        graph_rows.append([g["precision"], _num(g["bytes"] / MB, "{:.1f} MiB")
                           + (" (external data: over protobuf's 2 GB limit)" if g.get("over_protobuf_limit")
                              else " (external data)" if g.get("external_data") else ""),
                           _num(g.get("make_s"), "{:.1f} s"), str(g.get("nodes")),
                           ", ".join(f"{k} {v}" for k, v in sorted((g.get("ops") or {}).items(),
                                                                    key=lambda kv: -kv[1])[:6]),
                           *[str((g.get("fused_ops") or {}).get(op, 0)) for op in fused_names]])
    base = [("PyTorch fp32", pt.get("decode_tokens_per_s"))] if pt.get("status") == "ok" else []
    pbase = [("PyTorch fp32", pt["prefill_latency_s"]["median"])] if pt.get("status") == "ok" else []
    return {
        "headers": headers, "rows": rows,
        "charts": [_bars(gettext("解码速度（带 KV 缓存的图）"),
                         base + [(_label(r), r["decode_tokens_per_s"]) for r in ok], "tok/s"),
                   _bars(gettext("预填充延迟（中位数）"), pbase + [(_label(r), r["prefill_latency_s"]["median"])
                                                          for r in ok], "s")],
        "tables": [{"title": gettext("导出的图"),
                    "headers": ["precision", "file", "made in", "nodes", "most frequent ops", *fused_names],
                    "rows": graph_rows}],
        "statements": statements(result),
        "notes": [gettext("导出：%(tool)s，用时 %(s)s 秒。") % {"tool": export.get("tool", "—"),
                                                          "s": _num(export.get("export_s"), "{:.1f}")}]
        + [str(n) for n in (result.get("model_info") or {}).get("notes") or []]
        + [gettext("来源：") + " ".join(SOURCES)],
    }


def statements(result: dict) -> list[str]:
    """What the learner sees, in words, from the figures."""
    pt = result.get("pytorch") or {}
    out = [gettext("这张图是一个带 KV 缓存的单图：输入 input_ids、position_ids 和每层的 past key/value，输出 logits 与"
                   "增长后的缓存；预填充是空缓存上的同一张图，解码把上一步的缓存喂回去，所以解码速度是真正的增量解码。")]
    graphs = {g.get("precision"): g for g in (result.get("export") or {}).get("graphs") or []}
    fp32 = graphs.get("fp32") or {}
    if fp32.get("fused_ops"):
        out.append(gettext("融合：ONNX Runtime 的 CPU 融合把注意力换成 %(ops)s —— 一个算子完成 RoPE、"
                           "写缓存和注意力，PyTorch eager 里这是几十个小算子。")
                   % {"ops": ", ".join(f"{k} × {v}" for k, v in fp32["fused_ops"].items())})
    for r in result.get("runs") or []:
        if r.get("status") != "ok" or pt.get("status") != "ok":
            continue
        q = r["parity"]
        out.append(gettext("%(label)s：预填充是 PyTorch 的 %(p)s 倍速，解码 %(d)s 倍速；最大 |Δlogit| %(diff)s，"
                           "top-1 一致 %(top1)s，贪心续写前 %(same)s/%(n)s 个 token 相同。")
                   % {"label": _label(r), "p": _num(r.get("prefill_speedup_vs_pytorch")),
                      "d": _num(r.get("decode_speedup_vs_pytorch")), "diff": _num(q["max_abs_logit_diff"], "{:.3g}"),
                      "top1": _num(q["top1_agreement"], "{:.0%}"), "same": q["greedy_identical_tokens"],
                      "n": q["greedy_tokens"]})
    out += busy_host_statement([("PyTorch fp32", pt.get("host_load"))]
                               + [(_label(r), r.get("host_load")) for r in result.get("runs") or []])
    out.append(gettext("为什么：预填充是大矩阵乘，PyTorch 和 ORT 都调用优化过的 GEMM，差距主要来自融合；"
                       "解码每步只有一个 token，PyTorch eager 的 Python 与算子调度开销占了大头，"
                       "ORT 的融合图少了这些开销。int8 动态量化把权重读取降到 fp32 的四分之一、用整数 GEMM，"
                       "但每次都要量化激活；int4（MatMulNBits）再减半权重，"
                       "代价是精度。这里的循环不做 IO binding：每步的缓存都复制成 numpy 再喂回去，"
                       "上下文越长这份开销越大。"))
    return out


def onnx_export_headline(result: dict) -> dict[str, tuple[float, str]]:
    out = {}
    pt = result.get("pytorch") or {}
    if pt.get("status") == "ok" and _number(pt.get("decode_tokens_per_s")):
        out["PyTorch fp32 decode"] = (pt["decode_tokens_per_s"], "tok/s")
    for r in result.get("runs") or []:
        if r.get("status") == "ok":
            out[f"{_label(r)} decode"] = (r["decode_tokens_per_s"], "tok/s")
    return out


def onnx_export_evidence(result: dict) -> str:
    parts = []
    for r in result.get("runs") or []:
        if r.get("status") == "ok":
            parts.append(f"{_label(r)}: {r['decode_tokens_per_s']:.1f} tok/s "
                         f"({_num(r.get('decode_speedup_vs_pytorch'))}x PyTorch), top-1 "
                         f"{r['parity']['top1_agreement']:.0%}")
    return f"{result.get('model')}: " + "; ".join(parts)


def busy_host_statement(entries: list[tuple[str, dict | None]]) -> list[str]:
    """One sentence when the runner's load average passed its CPU count while something was timed (the
    onnx-export and cross-model labs record gpu_runner.measure.timing.host_load per measurement)."""
    busy = [(name, load) for name, load in entries if isinstance(load, dict) and _number(load.get("cpus"))
            and max(load.get("before") or 0, load.get("after") or 0) > load["cpus"]]
    if not busy:
        return []
    top = max(max(load.get("before") or 0, load.get("after") or 0) for _, load in busy)
    return [gettext("测量 %(names)s 时，这台机器 1 分钟负载最高到 %(load)s（%(cpus)s 个 CPU）：别的进程在分用这些核，"
                    "不同时间测的速度之差不只是后端自己的差别。") %
            {"names": ", ".join(name for name, _ in busy), "load": f"{top:.1f}", "cpus": busy[0][1]["cpus"]}]

KIND = Lab(
    slug="onnx-export",
    title=_("ONNX Runtime 导出"),
    subtitle=_("把模型连同 KV 缓存导出成 ONNX，fp32 / int8 / int4 在 ONNX Runtime 上与 PyTorch 比速度和一致性"),
    skills=("inference-acceleration", "model-portability"),
    summarise=onnx_export_view, headline=onnx_export_headline, evidence=onnx_export_evidence,
    labels={"model": _("模型（fixture、smollm2-135m、gemma3-270m 或 runner 上的本地模型目录）"),
            "exporter": _("导出器"), "precisions": _("精度"), "providers": _("执行提供者（execution provider）"),
            "quality_tokens": _("一致性评估的 token 数")},
)
