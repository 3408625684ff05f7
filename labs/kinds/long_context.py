"""long-context on the site: perplexity against length per RoPE setting, passkey heatmaps."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from labs.charts import is_number, line_chart, mib, num
from labs.kinds import Lab


def long_context_view(result: dict) -> dict:
    """Perplexity against length per RoPE setting beside Qwen's published Qwen-7B rows, the passkey heatmap
    (depth x length) per setting, effective length, and prefill time and KV-cache bytes per length."""
    lengths = result.get("lengths") or []
    rows, costs, ppl, prefill, heatmaps = [], [], [], [], []
    for s in result.get("settings", []):
        if s.get("status") != "ok":
            rows.append([s.get("setting"), s.get("status"), s.get("reason") or s.get("error", ""),
                         *[""] * (len(lengths) - 1)])
            continue
        cells = {c.get("length"): c for c in s.get("cells", [])}
        rows.append([s["setting"], *[num((cells.get(n) or {}).get("perplexity")) for n in lengths],
                     str(s.get("effective_length") or "—")])
        ppl.append({"label": s["setting"], "points": [[n, (cells.get(n) or {}).get("perplexity")] for n in lengths]})
        prefill.append({"label": s["setting"], "points": [[n, (cells.get(n) or {}).get("prefill_s")] for n in lengths]})
        costs.append([s["setting"], *[f"{num((cells.get(n) or {}).get('prefill_s'), '{:.3f}')} s · "
                                      f"{mib((cells.get(n) or {}).get('kv_cache_bytes'))}" for n in lengths]])
        heatmaps.append(_passkey_heatmap(s["setting"], cells, lengths, result.get("depths") or []))
    headers = ["setting", *[f"ppl @{n}" for n in lengths], "effective length"]
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
    definition = gettext("长度 L 的困惑度 = exp(L-1 个下一 token 预测的平均 NLL)；"
                         "虚线是 Qwen 公布的 Qwen-7B 在 %(text)s 上的数字"
                         "（另一个模型、另一段文本，只比较随长度变化的形状）。") % {"text": reference.get("text", "—")}
    lines = [line_chart(gettext("困惑度与长度"), "tokens", "perplexity", ppl + published, definition=definition,
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
                        "headers": ["setting", *[f"@{n}: prefill · KV cache" for n in lengths]], "rows": costs}]}


def _passkey_heatmap(setting: str, cells: dict, lengths: list, depths: list) -> dict:
    def cell(n: int, depth: float) -> dict:
        found = [p for p in (cells.get(n) or {}).get("passkey") or [] if p.get("depth") == depth]
        acc = found[0].get("accuracy") if found else None
        return {"value": num(acc, "{:.0%}"), "shade": round(100 * acc) if is_number(acc) else None,
                "trials": found[0].get("trials") if found else None}
    return {"title": gettext("passkey 准确率：%(setting)s") % {"setting": setting}, "setting": setting,
            "row_label": "depth", "col_label": "length", "cols": [str(n) for n in lengths],
            "rows": [{"label": f"{d:.0%}", "cells": [cell(n, d) for n in lengths]} for d in depths]}


def long_context_headline(result: dict) -> dict[str, tuple[float, str]]:
    """The effective length (passkey accuracy at or above the threshold) per RoPE setting."""
    return {s["setting"]: (s["effective_length"], "tokens") for s in result.get("settings", [])
            if s.get("status") == "ok" and is_number(s.get("effective_length"))}


def long_context_evidence(result: dict) -> str:
    heads = long_context_headline(result)
    return "; ".join(f"{name}: effective length {value:.0f}" for name, (value, _unit) in heads.items())


KIND = Lab(
    slug="long-context",
    title=_("长上下文与 RoPE 缩放"),
    subtitle=_("linear、动态 NTK、YaRN 在不同长度下的困惑度与 passkey 检索"),
    skills=("long-context",),
    summarise=long_context_view, headline=long_context_headline,
    evidence=long_context_evidence,
    labels={"settings": _("RoPE 设置（每行一个，如 “none”、“linear 4”、“yarn 4 beta_fast=32”）"),
            "trained_length": _("名义训练长度（留空用模型配置里的）"), "lengths": _("测试长度（token，每行一个）"),
            "ppl_windows": _("每个长度的困惑度窗口数"), "passkey_depths": _("passkey 深度（0–1，每行一个）"),
            "passkey_trials": _("每格 passkey 试验次数"), "accuracy_threshold": _("有效长度的准确率阈值"),
            "eval_text": _("评估文本（留空用内置文章）")},
)
