"""The ONNX Runtime lab's page: each (precision, execution provider) beside PyTorch from the same job — prefill,
decode, parity — the exported graphs' facts (file size, op counts, fused ONNX Runtime ops), and what the learner
sees, with its sources."""

from __future__ import annotations

import re

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from labs.charts import bar_chart as _bars
from labs.charts import is_number as _number
from labs.charts import num as _num
from labs.charts import sci as _sci
from labs.kinds import Lab, rule
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


def onnx_export_explain(result: dict) -> list[dict]:
    """What to notice: quantized graphs whose logits drift from PyTorch fp32, ONNX Runtime against eager PyTorch
    at the same precision, and the fusions ONNX Runtime made (or could have made)."""
    runs = {r.get("precision"): r for r in result.get("runs") or [] if r.get("status") == "ok"}
    return _drift_rule(result, runs) + _eager_rule(result, runs) + _fusion_rule(result)


def _drift_rule(result: dict, runs: dict) -> list[dict]:
    drifted = [r for p, r in runs.items() if p != "fp32" and _number((r.get("parity") or {}).get("top1_agreement"))
               and (r["parity"]["top1_agreement"] < 0.9 or (r["parity"].get("mean_kl") or 0) > 0.05)]
    if not drifted:
        return []
    worst = min(drifted, key=lambda r: r["parity"]["top1_agreement"])
    q, fp32 = worst["parity"], (runs.get("fp32") or {}).get("parity") or {}
    how = {"int8": gettext("int8 把每个矩阵乘的权重按通道、激活在每次调用时动态量化成 8 位"),
           "int4": gettext("int4 把矩阵乘的权重按 32 个一组量化成 4 位"),
           "fp16": gettext("fp16 只剩 10 位尾数")}.get(worst["precision"], "")
    text = _say(gettext("%(label)s 与 PyTorch fp32 只有 %(top1)s 的位置 top-1 相同（平均 KL %(kl)s，贪心续写 "
                        "%(same)s/%(n)s 个 token 相同）%(fp32)s：差别来自量化，不是导出。%(how)s，每层的误差在所有层里"
                        "叠加，参数少的小模型冗余少、最敏感；要看它是否够用，拿任务上的分数而不只是 top-1 来判断。"),
                {"label": _label(worst), "top1": f"{q['top1_agreement']:.0%}", "kl": _sci(q.get("mean_kl")),
                 "same": q.get("greedy_identical_tokens"), "n": q.get("greedy_tokens"), "how": how,
                 "fp32": gettext("，而 fp32 图是 %(top1)s") % {"top1": f"{fp32['top1_agreement']:.0%}"}
                 if _number(fp32.get("top1_agreement")) else ""})
    tokens = (result.get("settings") or {}).get("quality_tokens") or 128
    return [rule("quantized-drift", text, "precision-formats", "_2",
                 {"quality_tokens": min(4096, max(256, 2 * tokens))})]


def _eager_rule(result: dict, runs: dict) -> list[dict]:
    pt, ort = result.get("pytorch") or {}, runs.get("fp32")
    if pt.get("status") != "ok" or not ort or not _number(ort.get("decode_speedup_vs_pytorch")):
        return []
    x = ort["decode_speedup_vs_pytorch"]
    if 0.83 < x < 1.2:
        return []
    values = {"label": _label(ort), "tps": f"{ort['decode_tokens_per_s']:.1f}",
              "pt": f"{pt['decode_tokens_per_s']:.1f}", "x": f"{x:.2f}",
              "diff": _sci((ort.get("parity") or {}).get("max_abs_logit_diff"))}
    if x >= 1.2:
        text = _say(gettext("%(label)s 解码 %(tps)s tok/s，是 PyTorch 逐算子执行（%(pt)s tok/s）的 %(x)s 倍，"
                            "logits 几乎相同（最大差 %(diff)s）：同样的权重和精度，快在图本身——融合的算子、"
                            "预先规划的内存，没有 Python 逐个分派算子的开销；"
                            "小模型的每个算子都很小，分派开销占比最大。"), values)
    else:
        text = _say(gettext("%(label)s 解码 %(tps)s tok/s，反而只有 PyTorch 逐算子执行（%(pt)s tok/s）的 %(x)s 倍："
                            "这个循环没有 IO 绑定，每一步都把整个 KV 缓存复制成 numpy 再喂回去，"
                            "上下文越长这份拷贝越贵。"),
                    values)
    settings = result.get("settings") or {}
    change = {"gen_len": min(2048, max(64, 4 * (settings.get("gen_len") or 16)))}
    spread = [v for v in pt.get("decode_tokens_per_s_runs") or [] if _number(v) and v > 0]
    if len(spread) >= 2 and max(spread) > 3 * min(spread):
        text = format_html("{}{}", text, gettext(
            "注意 PyTorch 的几次计时从 %(lo)s 到 %(hi)s tok/s 不等：机器当时很忙，这个倍数本身也不稳，"
            "多重复几次再下结论。")
            % {"lo": f"{min(spread):.1f}", "hi": f"{max(spread):.1f}"})
        change = {"repeats": min(20, max(5, 2 * (settings.get("repeats") or 3)))}
    return [rule("ort-vs-eager", text, "onnx-tensorrt", "_1", change)]


def _fusion_rule(result: dict) -> list[dict]:
    export = result.get("export") or {}
    graphs = [g for g in export.get("graphs") or [] if g.get("status") == "ok"]
    exporter = export.get("exporter") or result.get("exporter")
    fused = next((g for g in graphs if g.get("fused_ops")), None)
    if fused:
        ops = format_html_join(gettext("、"), "{} × {}", ((code(op), n) for op, n in sorted(fused["fused_ops"].items(),
                                                                                             key=lambda kv: -kv[1])))
        return [rule("graph-fusions", format_html(gettext(
            "{ort} 的图优化把 {precision} 图里的小算子合成了大算子：{ops}（全图 {nodes} 个节点）。每个融合的算子"
            "少写回一次中间结果、少一次分派；用不融合的导出器 {plain} 再跑一次，就能量出它们值多少。"),
            ort=name("ONNX Runtime"), precision=fused.get("precision"), ops=ops, nodes=fused.get("nodes"),
            plain=code("torch-dynamo")),
            "onnx-tensorrt", "onnx", {"exporter": "torch-dynamo"})]
    if exporter == "torch-dynamo" and graphs:
        return [rule("no-fusions", format_html(gettext(
            "导出器 {exporter} 只导出、不做 {ort} 的融合：图里的注意力、残差加和归一化仍是一个个小算子，"
            "每个都要写回中间结果、单独分派；换 {fused} 再比一次速度。"),
            exporter=code(exporter), ort=name("ONNX Runtime"), fused=code("torch-dynamo+ort-fusions")),
            "onnx-tensorrt", "onnx", {"exporter": "torch-dynamo+ort-fusions"})]
    return []


def _say(template: str, values: dict) -> str:
    """A translated %(key)s sentence with its values escaped (the model label is a name, not prose)."""
    return format_html(re.sub(r"%\((\w+)\)s", r"{\1}", template.replace("{", "{{").replace("}", "}}")),
                       **{k: name(v) if k == "label" else v for k, v in values.items()})


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
    explain=onnx_export_explain,
    labels={"model": _("模型（fixture、smollm2-135m、gemma3-270m 或 runner 上的本地模型目录）"),
            "exporter": _("导出器"), "precisions": _("精度"), "providers": _("执行提供者（execution provider）"),
            "quality_tokens": _("一致性评估的 token 数")},
)
