"""What the planner page shows for one plan: each answer with its formula (TeX for KaTeX, symbols first, then the
same formula with this plan's numbers) and the chart data. Numbers come from planner.capacity only."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _

from planner import capacity as cap
from planner.capacity import GIB, Hardware, ModelShape, Settings


def tex_int(n: float) -> str:
    return f"{round(n):,}".replace(",", "{,}")


def gib(n: float) -> float:
    return round(n / GIB, 2)


def _parameters(m: ModelShape) -> dict[str, Any]:
    c = cap.parameter_counts(m)
    parts = [("embedding", _("词嵌入"), c["embedding"]), ("lm_head", _("输出层 lm_head"), c["lm_head"]),
             ("attention", _("注意力"), c["attention"]), ("mlp", "MLP", c["mlp"]), ("norms", _("归一化"), c["norms"])]
    rows = [{"key": k, "label": label, "count": n, "count_text": f"{n:,}",
             "share": f"{100 * n / c['total']:.1f}%"}
            for k, label, n in parts if n]
    q, kv = m.heads * m.head_dim, m.kv_heads * m.head_dim
    tex = (r"N = \underbrace{V h}_{\text{emb}}" + ("" if m.tied else r" + \underbrace{V h}_{\text{lm\_head}}")
           + r" + L\,\big(\underbrace{2 h\,n_q d_h + 2 h\,n_{kv} d_h}_{\text{attn}} + \underbrace{3 h\,f}_{\text{MLP}}"
           r"\big) + \dots")
    numbers = (rf"N = {tex_int(c['embedding'])}" + ("" if m.tied else rf" + {tex_int(c['lm_head'])}")
               + rf" + {m.layers}\times({tex_int(2 * m.hidden * q + 2 * m.hidden * kv)}"
               + rf" + {tex_int(3 * m.hidden * m.ffn)})"
               + rf" + \dots = {tex_int(c['total'])}")
    return {"rows": rows, "total": c["total"], "total_text": f"{c['total']:,}", "linear": c["linear"], "tex": tex,
            "tex_numbers": numbers}


def _weights(m: ModelShape, s: Settings) -> dict[str, Any]:
    w = cap.weight_bytes(m, s.precision, s.group_size)
    bits = cap.WEIGHT_BITS[s.precision]
    if bits >= 16:
        tex = rf"W = N \times {bits // 8} = {tex_int(w['total'])}\ \text{{B}}"
    else:
        g = s.group_size or m.hidden
        per = cap.quantized_bytes_per_weight(bits, g)
        tex = (rf"W = N_{{\text{{linear}}}}\Big(\tfrac{{{bits}}}{{8}} + \tfrac{{2 + {bits}/8}}{{{g}}}\Big)"
               rf" + (N - N_{{\text{{linear}}}})\times 2"
               rf" = {tex_int(cap.parameter_counts(m)['linear'])}\times{per:.4f}"
               rf" + {tex_int(w['other'])} = {tex_int(w['total'])}\ \text{{B}}")
    return {"bytes": w["total"], "gib": gib(w["total"]), "tex": tex}


def _kv(m: ModelShape, s: Settings) -> dict[str, Any]:
    b = cap.KV_BITS[s.kv_precision] // 8
    per_token = cap.kv_bytes_per_token(m, s.kv_precision)
    per_seq = cap.kv_bytes_per_sequence(m, s.context, s.kv_precision)
    tex = (rf"K_{{\text{{token}}}} = 2 \times L \times n_{{kv}} \times d_h \times b = 2 \times {m.layers} \times "
           rf"{m.kv_heads} \times {m.head_dim} \times {b} = {tex_int(per_token)}\ \text{{B}}")
    if m.sliding_layers:
        window = max(w for w in m.windows if w)
        seq_tex = (rf"K_{{\text{{seq}}}} = \tfrac{{K_{{\text{{token}}}}}}{{L}}\Big(n_{{\text{{full}}}}\,T + "
                   rf"n_{{\text{{local}}}} \min(T, w)\Big) = \tfrac{{{tex_int(per_token)}}}{{{m.layers}}}\big("
                   rf"{m.layers - m.sliding_layers}\times{s.context}"
                   rf" + {m.sliding_layers}\times{min(s.context, window)}"
                   rf"\big) = {tex_int(per_seq)}\ \text{{B}}")
    else:
        seq_tex = (rf"K_{{\text{{seq}}}} = K_{{\text{{token}}}} \times T = {tex_int(per_token)} \times {s.context}"
                   rf" = {tex_int(per_seq)}\ \text{{B}}")
    return {"per_token": per_token, "per_token_text": f"{per_token:,}", "per_sequence": per_seq,
            "per_sequence_gib": gib(per_seq), "tex": tex,
            "tex_sequence": seq_tex, "gqa_group": m.gqa_group, "sliding_layers": m.sliding_layers}


def _memory(m: ModelShape, hw: Hardware, s: Settings) -> dict[str, Any]:
    plan = cap.memory_plan(m, hw, s)
    segments = [(_("权重"), plan["weights"]), (_("KV cache"), plan["kv"]), (_("激活"), plan["activations"]),
                (_("固定开销"), plan["overhead"])]
    chart = {"segments": [{"label": label, "gib": gib(v)} for label, v in segments],
             "budget_gib": gib(plan["budget"]), "card_gib": gib(plan["card"]),
             "budget_label": _("引擎可用 %(gib).2f GiB") % {"gib": gib(plan["budget"])},
             "card_label": _("显存 %(gib).2f GiB") % {"gib": gib(plan["card"])}, "x": "GiB", "bar": _("每张 GPU")}
    factor = r" \times 2" if s.engine == "hf" else ""
    relation = r"\le" if plan["fits"] else ">"
    tex = (rf"M = \tfrac{{W}}{{t}} + B\,\tfrac{{K_{{\text{{seq}}}}}}{{t}}{factor} + A + O = {gib(plan['weights'])} + "
           rf"{gib(plan['kv'])} + {gib(plan['activations'])} + {gib(plan['overhead'])} = {gib(plan['used'])}\ "
           rf"\text{{GiB}} {relation} {gib(plan['budget'])}\ \text{{GiB}}")
    seq_tex = (rf"B_{{\max}} = \Big\lfloor \tfrac{{r\,M_{{\text{{card}}}} - W/t - A - O}}{{K_{{\text{{seq}}}}/t"
               rf"{factor}}} \Big\rfloor = {plan['max_sequences']}")
    return {**plan, "gib": {k: gib(plan[k]) for k in ("weights", "kv", "activations", "overhead", "used", "budget",
                                                       "card", "free", "kv_per_sequence")},
            "chart": chart, "chart_json": json.dumps(chart, ensure_ascii=False), "tex": tex, "tex_sequences": seq_tex}


def _decode(m: ModelShape, hw: Hardware, s: Settings, max_sequences: int) -> dict[str, Any]:
    step = cap.decode_step(m, hw, s)
    knee = cap.decode_knee(m, hw, s)
    curve = cap.decode_curve(m, hw, s)
    chart = {"x": _("并发序列数 B"), "y": _("解码上限 tokens/s"), "log_x": True, "log_y": True,
             "datasets": [{"label": _("上限（%(gpu)s）") % {"gpu": hw.name},
                           "points": [[p["batch"], round(p["tokens_per_s"], 2)] for p in curve]}],
             "marks": ([{"x": round(knee, 1), "label": _("拐点 B≈%(b)s") % {"b": f"{knee:.0f}"}}] if knee else [])
             + ([{"x": max_sequences, "label": _("显存上限 B=%(b)s") % {"b": max_sequences}}] if max_sequences else [])}
    tex = (r"t_{\text{step}} \ge \max\Big(\underbrace{\tfrac{W_{\text{read}} + B\,K_{\text{seq}}}{t\,BW}}_{\text{"
           + _("带宽") + r"}},\ \underbrace{\tfrac{B\,(2P + 4 L n_q d_h T)}{t\,F}}_{\text{" + _("算力") + r"}}\Big)"
           + r" + t_{\text{comm}}")
    numbers = (rf"= \max({step['t_memory'] * 1e3:.2f},\ {step['t_compute'] * 1e3:.2f})"
               rf" + {step['t_comm'] * 1e3:.3f} = {step['step_s'] * 1e3:.2f}\ \text{{ms}}"
               rf"\ \Rightarrow\ \le {step['tokens_per_s']:.1f}\ \text{{tokens/s}}")
    knee_tex = (r"B^{*} = \tfrac{W_{\text{read}}/BW}{2P/F - K_{\text{seq}}/BW}"
                + (rf" \approx {knee:.0f}" if knee else r"\ \text{(" + _("不存在") + ")}"))
    return {**step, "knee": knee, "chart": chart, "chart_json": json.dumps(chart, ensure_ascii=False), "tex": tex,
            "tex_numbers": numbers, "tex_knee": knee_tex, "ms": step["step_s"] * 1e3}


def _prefill(m: ModelShape, hw: Hardware, s: Settings) -> dict[str, Any]:
    p = cap.prefill(m, hw, s)
    tex = (r"t_{\text{prefill}} \ge \max\Big(\tfrac{B\,T\,2P + B\cdot 2 L n_q d_h T^2}{t\,F},\ "
           rf"\tfrac{{W}}{{t\,BW}}\Big) = \max({p['t_compute'] * 1e3:.1f},\ {p['t_memory'] * 1e3:.1f})"
           rf" + {p['t_comm'] * 1e3:.1f} = {p['seconds'] * 1e3:.1f}\ \text{{ms}}")
    return {**p, "ms": p["seconds"] * 1e3, "tex": tex}


def _parallel(m: ModelShape, hw: Hardware, s: Settings) -> dict[str, Any]:
    tp = cap.tensor_parallel(m, hw, s)
    tex = (rf"t_{{\text{{AR}}}} = \tfrac{{2(t-1)}}{{t}}\cdot\tfrac{{B\,h\cdot 2}}{{BW_{{\text{{link}}}}}},\quad "
           rf"2L = {tp['allreduces_per_step']}\ \text{{all-reduce / step}}")
    pope = [{**row, "one_d_us": row["one_d_s"] * 1e6, "two_d_us": row["two_d_s"] * 1e6}
            for row in cap.weight_stationary_layouts(m, hw, s)]
    pope_tex = (r"T_{1D} = \tfrac{2BLE}{BW_{\text{link}}},\qquad T_{2D} = \tfrac{8BLE}{\sqrt{n}\,BW_{\text{link}}}"
                r"\quad(T_{2D} < T_{1D} \iff n > 16)")
    return {**tp, "decode_bytes_text": f"{tp['decode_bytes_each']:,}", "decode_us": tp["decode_seconds"] * 1e6,
            "prefill_ms": tp["prefill_seconds"] * 1e3,
            "tex": tex, "pope": pope, "pope_tex": pope_tex}


def build(m: ModelShape, hw: Hardware, s: Settings) -> dict[str, Any]:
    memory = _memory(m, hw, s)
    return {
        "shape": m, "hw": hw, "settings": s, "parameters": _parameters(m), "weights": _weights(m, s),
        "kv": _kv(m, s), "memory": memory, "decode": _decode(m, hw, s, memory["max_sequences"]),
        "prefill": _prefill(m, hw, s), "parallel": _parallel(m, hw, s),
    }
