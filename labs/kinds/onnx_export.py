"""The ONNX Runtime lab's page: each (precision, execution provider) beside PyTorch from the same job — prefill,
decode, parity — the exported graphs' facts (file size, op counts, fused ONNX Runtime ops), and what the learner
sees, with its sources."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from labs.charts import bar_chart as _bars
from labs.charts import is_number as _number
from labs.charts import num as _num
from labs.charts import sci as _sci
from labs.kinds import Lab
from labs.stages import code, name, note_text, reason_text, status_text

MB = 1024 * 1024
SOURCES = (
    "https://onnxruntime.ai/docs/performance/transformers-optimization.html",
    "https://onnxruntime.ai/docs/performance/model-optimizations/quantization.html",
    "https://github.com/microsoft/onnxruntime/blob/main/docs/ContribOperators.md",
    "https://pytorch.org/docs/stable/onnx_dynamo.html",
)


def _label(run: dict) -> str:
    return f"ORT {run.get('precision')} / {str(run.get('provider') or '').upper()}"


def onnx_export_view(result: dict) -> dict:
    pt = result.get("pytorch") or {}
    runs = result.get("runs") or []
    ok = [r for r in runs if r.get("status") == "ok"]
    export = result.get("export") or {}
    graphs = export.get("graphs") or []
    headers = [gettext("后端"), gettext("预填充中位数（s）"), gettext("解码 tok/s"), gettext("预填充 × PyTorch"),
               gettext("解码 × PyTorch"), code("max |Δlogit|"), "top-1", "KL", gettext("贪心续写相同"),
               gettext("峰值 RSS（MiB）")]
    rows = []
    if pt.get("status") == "ok":
        rows.append([f"PyTorch fp32 ({gettext('参照')})", _num(pt["prefill_latency_s"]["median"], "{:.4f}"),
                     _num(pt["decode_tokens_per_s"]), "1.00", "1.00", "0", "100%", "0",
                     f"{len(pt.get('greedy_tokens') or [])}/{len(pt.get('greedy_tokens') or [])}",
                     _num((pt.get("memory") or {}).get("peak_rss_bytes", 0) / MB, "{:.0f}")])
    elif pt:
        rows.append(["PyTorch fp32", status_text(pt.get("status")), reason_text(pt.get("reason") or "")
                     or pt.get("error", ""), *[""] * 7])
    for r in runs:
        if r.get("status") != "ok":
            rows.append([_label(r), status_text(r.get("status")), reason_text(r.get("reason") or "")
                         or r.get("error", ""), *[""] * 7])
            continue
        q = r["parity"]
        rows.append([_label(r), _num(r["prefill_latency_s"]["median"], "{:.4f}"), _num(r["decode_tokens_per_s"]),
                     _num(r.get("prefill_speedup_vs_pytorch")), _num(r.get("decode_speedup_vs_pytorch")),
                     _sci(q["max_abs_logit_diff"]), _num(q["top1_agreement"], "{:.0%}"),
                     _sci(q["mean_kl"]), f"{q['greedy_identical_tokens']}/{q['greedy_tokens']}",
                     _num(r["memory"]["peak_rss_bytes"] / MB, "{:.0f}")])
    graph_rows, fused_names = [], sorted({op for g in graphs for op in (g.get("fused_ops") or {})})
    for g in graphs:
        if g.get("status") != "ok":
            graph_rows.append([g.get("precision"), status_text(g.get("status")),
                               reason_text(g.get("reason") or "") or g.get("error", ""), "", "",
                               *[""] * len(fused_names)])
            continue
        graph_rows.append([g["precision"], _num(g["bytes"] / MB, "{:.1f} MiB")
                           + (gettext("（外部数据文件：超过 protobuf 的 2 GB 上限）") if g.get("over_protobuf_limit")
                              else gettext("（外部数据文件）") if g.get("external_data") else ""),
                           _num(g.get("make_s"), "{:.1f} s"), str(g.get("nodes")),
                           code(", ".join(f"{k} {v}" for k, v in sorted((g.get("ops") or {}).items(),
                                                                         key=lambda kv: -kv[1])[:6])),
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
                    "headers": [gettext("精度"), gettext("文件大小"), gettext("导出用时"), gettext("节点数"),
                                gettext("最常见的算子"), *fused_names],
                    "rows": graph_rows}],
        "statements": statements(result),
        "notes": [format_html(gettext("导出：{tool}，用时 {s} 秒。"), tool=code(export.get("tool", "—")),
                              s=_num(export.get("export_s"), "{:.1f}"))]
        + [note_text(n) for n in (result.get("model_info") or {}).get("notes") or []]
        + [format_html("{}{}", gettext("来源："), format_html_join(
            " ", '<a href="{}" rel="noopener" translate="no">{}</a>', ((url, url) for url in SOURCES)))],
    }


def statements(result: dict) -> list[str]:
    """What the learner sees, in words, from the figures."""
    pt = result.get("pytorch") or {}
    out = [format_html(gettext("这张图是一个带 KV 缓存的单图：输入 {ids}、{pos} 和每层缓存的键和值（{past}），"
                               "输出 logits 与增长后的缓存；预填充是空缓存上的同一张图，解码把上一步的缓存喂回去，"
                               "所以解码速度是真正的增量解码。"),
                       ids=code("input_ids"), pos=code("position_ids"), past=code("past_key_values"))]
    graphs = {g.get("precision"): g for g in (result.get("export") or {}).get("graphs") or []}
    fp32 = graphs.get("fp32") or {}
    if fp32.get("fused_ops"):
        out.append(format_html(gettext("融合：{ort} 的 CPU 融合把注意力换成 {ops} —— 一个算子完成 RoPE、"
                                       "写缓存和注意力，PyTorch 逐个算子执行时这是几十个小算子。"),
                               ort=name("ONNX Runtime"),
                               ops=code(", ".join(f"{k} × {v}" for k, v in fp32["fused_ops"].items()))))
    for r in result.get("runs") or []:
        if r.get("status") != "ok" or pt.get("status") != "ok":
            continue
        q = r["parity"]
        out.append(format_html(gettext("{label}：预填充是 PyTorch 的 {p} 倍速，解码 {d} 倍速；最大 {delta} {diff}，"
                                       "top-1 一致 {top1}，贪心续写前 {same}/{n} 个 token 相同。"),
                               label=_label(r), p=_num(r.get("prefill_speedup_vs_pytorch")),
                               d=_num(r.get("decode_speedup_vs_pytorch")), delta=code("|Δlogit|"),
                               diff=_sci(q["max_abs_logit_diff"]), top1=_num(q["top1_agreement"], "{:.0%}"),
                               same=q["greedy_identical_tokens"], n=q["greedy_tokens"]))
    out += busy_host_statement([("PyTorch fp32", pt.get("host_load"))]
                               + [(_label(r), r.get("host_load")) for r in result.get("runs") or []])
    out.append(gettext("为什么：预填充是大矩阵乘，PyTorch 和 ORT 都调用优化过的 GEMM，差距主要来自融合；"
                       "解码每步只有一个 token，PyTorch 逐个算子执行时的 Python 与调度开销占了大头，"
                       "ORT 的融合图少了这些开销。int8 动态量化把权重读取降到 fp32 的四分之一、用整数 GEMM，"
                       "但每次都要量化激活；int4（MatMulNBits）再减半权重，"
                       "代价是精度。这里的循环不做 IO 绑定：每步的缓存都复制成 numpy 再喂回去，"
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
    parts = [gettext("%(label)s：%(tps).1f tok/s（PyTorch 的 %(x)s 倍），top-1 一致 %(top1).0f%%") % {
        "label": _label(r), "tps": r["decode_tokens_per_s"], "x": _num(r.get("decode_speedup_vs_pytorch")),
        "top1": r["parity"]["top1_agreement"] * 100} for r in result.get("runs") or [] if r.get("status") == "ok"]
    return f"{result.get('model')}{gettext('：')}" + gettext("；").join(parts)


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
