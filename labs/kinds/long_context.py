"""long-context on the site: perplexity against length per RoPE setting, passkey heatmaps."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from labs.charts import is_number, line_chart, mib, num
from labs.kinds import Lab, rule
from labs.stages import code
from labs.stages import name as product_name
from labs.stages import unmeasured as _unmeasured


def long_context_view(result: dict) -> dict:
    """Perplexity against length per RoPE setting beside Qwen's published Qwen-7B rows, the passkey heatmap
    (depth x length) per setting, effective length, and prefill time and KV-cache bytes per length."""
    lengths = result.get("lengths") or []
    rows, costs, ppl, prefill, heatmaps = [], [], [], [], []
    for s in result.get("settings", []):
        if s.get("status") != "ok":
            rows.append([code(s.get("setting")), *_unmeasured(s),
                         *[""] * (len(lengths) - 1)])
            continue
        cells = {c.get("length"): c for c in s.get("cells", [])}
        rows.append([code(s["setting"]), *[num((cells.get(n) or {}).get("perplexity")) for n in lengths],
                     str(s.get("effective_length") or "—")])
        ppl.append({"label": s["setting"], "points": [[n, (cells.get(n) or {}).get("perplexity")] for n in lengths]})
        prefill.append({"label": s["setting"], "points": [[n, (cells.get(n) or {}).get("prefill_s")] for n in lengths]})
        costs.append([code(s["setting"]), *[f"{num((cells.get(n) or {}).get('prefill_s'), '{:.3f}')} s · "
                                      f"{mib((cells.get(n) or {}).get('kv_cache_bytes'))}" for n in lengths]])
        heatmaps.append(_passkey_heatmap(s["setting"], cells, lengths, result.get("depths") or []))
    headers = [gettext("RoPE 设置"), *[f"ppl @{n}" for n in lengths], gettext("有效长度")]
    for row in rows:
        row.extend([""] * (len(headers) - len(row)))
    trained = result.get("trained_length")
    nominal = bool(result.get("trained_length_nominal"))
    label = gettext("训练长度 %(n)s") % {"n": trained} + (gettext("（名义）") if nominal else "")
    marks = [{"x": trained, "label": label}] if is_number(trained) else []
    reference = result.get("published_reference") or {}
    published = [{"label": f"{r.get('setting')} ({gettext('Qwen 公布')})", "reference": True,
                  "points": list(zip(reference.get("lengths") or [], r.get("perplexity") or [], strict=False))}
                 for r in reference.get("rows") or []]
    text = reference.get("text", "—")
    definition = format_html(gettext("长度 L 的困惑度 = {exp}，NLL 是 L−1 个下一 token 预测的平均负对数似然；"
                                     "虚线是 {qwen} 公布的 {model} 在{text}上的数字"
                                     "（另一个模型、另一段文本，只比较随长度变化的形状）。"),
                             exp=code("exp(NLL)"), qwen=product_name("Qwen"), model=product_name("Qwen-7B"),
                             text=format_html(gettext(" {arxiv} 论文"), arxiv=product_name("arXiv"))
                             if text == "arXiv papers" else format_html(" {} ", product_name(text)))
    lines = [line_chart(gettext("困惑度与长度"), "tokens", gettext("困惑度"), ppl + published, definition=definition,
                   log_x=True, log_y=True, marks=marks, source=reference.get("source", "")),
             line_chart(gettext("预填充时间与长度"), "tokens", "s", prefill, log_x=True, marks=marks,
                   definition=gettext("预填充时间 = 构建 KV 缓存的那一次前向传播。"))]
    statements = [gettext("有效长度 = 直到该长度为止每个测试长度的 passkey 准确率都达到阈值 %(thr)s 的最大长度。")
                  % {"thr": num(result.get("accuracy_threshold"), "{:.0%}")}]
    if nominal:
        statements.append(gettext("训练长度 %(n)s 是这个任务设的缩小的名义长度：模型实际训练到 %(real)s token，"
                                  "缩放公式把 %(n)s 当作训练长度，所以图上看的是每种缩放相对它改变了什么。")
                          % {"n": trained, "real": result.get("model_trained_length", "—")})
    return {"headers": headers, "rows": rows, "charts": [], "lines": lines, "heatmaps": heatmaps,
            "statements": statements, "notes": [str(n) for n in result.get("notes") or []],
            "tables": [{"title": gettext("每个长度的预填充时间与 KV 缓存"),
                        "headers": [gettext("RoPE 设置"), *[gettext("@%(n)s：预填充 · KV 缓存") % {"n": n}
                                                            for n in lengths]], "rows": costs}]}


def _passkey_heatmap(setting: str, cells: dict, lengths: list, depths: list) -> dict:
    def cell(n: int, depth: float) -> dict:
        found = [p for p in (cells.get(n) or {}).get("passkey") or [] if p.get("depth") == depth]
        acc = found[0].get("accuracy") if found else None
        return {"value": num(acc, "{:.0%}"), "shade": round(100 * acc) if is_number(acc) else None,
                "trials": found[0].get("trials") if found else None}
    return {"title": format_html(gettext("passkey 准确率：{setting}"), setting=code(setting)), "setting": setting,
            "row_label": gettext("深度"), "col_label": gettext("长度"), "cols": [str(n) for n in lengths],
            "rows": [{"label": f"{d:.0%}", "cells": [cell(n, d) for n in lengths]} for d in depths]}


def long_context_headline(result: dict) -> dict[str, tuple[float, str]]:
    """The effective length (passkey accuracy at or above the threshold) per RoPE setting."""
    return {s["setting"]: (s["effective_length"], "tokens") for s in result.get("settings", [])
            if s.get("status") == "ok" and is_number(s.get("effective_length"))}


def long_context_evidence(result: dict) -> str:
    heads = long_context_headline(result)
    return format_html_join(gettext("；"), gettext("{}：有效长度 {}"),
                            ((code(setting), f"{value:.0f}") for setting, (value, _unit) in heads.items()))


def _cells(setting: dict) -> dict:
    return {c["length"]: c for c in setting.get("cells", []) if is_number(c.get("perplexity"))}


def long_context_explain(result: dict) -> list[dict]:
    """What to notice: scaling that only hurts when the sequences stay inside the (nominal) trained length, plain
    RoPE past the trained length, linear interpolation breaking short sequences, and a prefill time that differs
    where the computation is the same (one unrepeated pass)."""
    ok = {s["setting"]: s for s in result.get("settings", []) if s.get("status") == "ok"}
    plain = _cells(ok.get("none") or {})
    trained, real = result.get("trained_length") or 0, result.get("model_trained_length") or 0
    lengths = sorted(plain)
    rules = []
    scaled = {name: _cells(s) for name, s in ok.items() if name not in ("none", "model")}
    if plain and scaled and all(all(c["perplexity"] >= plain[n]["perplexity"] * 0.98 for n, c in cells.items()
                                    if n in plain) for cells in scaled.values()):
        nominal = result.get("trained_length_nominal") and real > max(lengths)
        if nominal:
            text = gettext("每种 RoPE 缩放都只让困惑度变差：trained_length %(t)s 只是名义值，模型实际训练到 %(real)s "
                           "token，最长 %(max)s 的序列对不缩放的 RoPE 来说并没有越界，缩放只是挤压了模型熟悉的位置。"
                           "要看缩放的收益，得测超过真实训练长度的序列。") % {
                "t": trained, "real": real, "max": max(lengths)}
            change = {"trained_length": real, "lengths": [real // 2, real, real * 2],
                      "settings": [{"type": "none"}, {"type": "dynamic", "factor": 2}, {"type": "yarn", "factor": 2}]}
        else:
            text = gettext("每种 RoPE 缩放都只让困惑度变差：在测试的长度内不缩放的 RoPE 已经够用，缩放只是挤压了"
                           "模型熟悉的位置；缩放要在超过训练长度的地方才有收益。")
            change = {"lengths": [*lengths, max(lengths) * 2, max(lengths) * 4]}
        rules.append(rule("scaling-only-hurts", text, "rope-ntk", "_2", change))
    past = [n for n in lengths if trained and n > trained]
    if past and not result.get("trained_length_nominal"):
        worst = max(past, key=lambda n: plain[n]["perplexity"])
        inside = [plain[n]["perplexity"] for n in lengths if n <= trained]
        if inside and plain[worst]["perplexity"] > 1.2 * min(inside):
            rules.append(rule("past-trained-length", gettext(
                "不缩放时，超过训练长度 %(t)s 后困惑度升到 %(p).1f（%(n)s token）：模型在训练里没见过这么大的"
                "旋转角，位置编码越界。") % {"t": trained, "p": plain[worst]["perplexity"], "n": worst},
                "rope-ntk", "_2", {"settings": [{"type": "none"}, {"type": "dynamic", "factor": 4},
                                                {"type": "yarn", "factor": 4}]}))
    for name, cells in scaled.items():
        short = [c for n, c in cells.items() if trained and n <= trained and is_number(c.get("passkey_accuracy"))]
        if name.startswith("linear") and short and max(c["passkey_accuracy"] for c in short) < 0.5:
            rules.append(rule("linear-breaks-short", format_html(gettext(
                "{s} 在训练长度以内也找不回 passkey（{acc}%）：线性插值把所有位置都除以倍数，相邻 token 的角度差"
                "缩小了，不微调时模型分不清近处的顺序；{dynamic} NTK 只在序列超过训练长度时才缩放。"),
                s=code(name), acc=f"{max(c['passkey_accuracy'] for c in short) * 100:.0f}", dynamic=code("dynamic")),
                "rope-ntk", "ntk", {"settings": [{"type": "none"}, {"type": "linear", "factor": 2},
                                                 {"type": "dynamic", "factor": 4}]}))
            break
    for name, cells in scaled.items():
        if not name.startswith("dynamic"):
            continue
        same = [n for n in lengths if n in cells and (not trained or n <= trained)
                and abs(cells[n]["perplexity"] - plain[n]["perplexity"]) <= 1e-6 * plain[n]["perplexity"]
                and is_number(cells[n].get("prefill_s")) and is_number(plain[n].get("prefill_s"))]
        slow = [n for n in same if max(cells[n]["prefill_s"], plain[n]["prefill_s"])
                > 3 * min(cells[n]["prefill_s"], plain[n]["prefill_s"])]
        if slow:
            n = slow[0]
            rules.append(rule("prefill-one-sample", gettext(
                "%(s)s 在 %(n)s token 的预填充用了 %(a).2f s，不缩放是 %(b).2f s，可两者的困惑度完全相同："
                "序列不超过训练长度时 dynamic NTK 就是原始 RoPE，算的是同一件事。差别来自计时本身——每个长度的"
                "预填充只计一次（ppl_windows 个窗口取中位数），一次被其他进程或内存分配打断就会放大几倍；"
                "加大 ppl_windows 重测。") % {
                    "s": name, "n": n, "a": cells[n]["prefill_s"], "b": plain[n]["prefill_s"]},
                "measurement-methodology", "_2", {"ppl_windows": 5}))
            break
    return rules


KIND = Lab(
    slug="long-context",
    title=_("长上下文与 RoPE 缩放"),
    subtitle=_("linear、动态 NTK、YaRN 在不同长度下的困惑度与 passkey 检索"),
    skills=("long-context",),
    summarise=long_context_view, headline=long_context_headline, headline_names=True,
    evidence=long_context_evidence, explain=long_context_explain,
    labels={"settings": _("RoPE 设置（每行一个，如 “none”、“linear 4”、“yarn 4 beta_fast=32”）"),
            "trained_length": _("名义训练长度（留空用模型配置里的）"), "lengths": _("测试长度（token，每行一个）"),
            "ppl_windows": _("每个长度的困惑度窗口数"), "passkey_depths": _("passkey 深度（0–1，每行一个）"),
            "passkey_trials": _("每格 passkey 试验次数"), "accuracy_threshold": _("有效长度的准确率阈值"),
            "eval_text": _("评估文本（留空用内置文章）")},
)
