"""The cross-model lab's page: the models' config.json side by side with what each field changes, parameters by
role, KV bytes per token from the config and from the real cache, speed, vocabulary efficiency and bits per byte,
the plan's models placed beside them, and the differences in words computed from the result."""

from __future__ import annotations

import re
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from labcontract.labs.cross_model import kv_bytes_per_token, parameter_estimate, plan_model_shapes
from labs.charts import bar_chart as _bars
from labs.charts import is_number as _number
from labs.charts import num as _num
from labs.kinds import Lab, rule
from labs.kinds.onnx_export import busy_host_statement
from labs.stages import code, name, reason_text, status_text

KIB = 1024

# What each config.json field changes (shown beside the values).
FIELD_EFFECTS = {
    "model_type": gettext_lazy("选哪套建模代码（LlamaForCausalLM、Gemma3ForCausalLM……）"),
    "vocab_size": gettext_lazy("嵌入表与输出头的行数：词表越大，每个 token 覆盖的文字越多，嵌入参数也越多"),
    "hidden_size": gettext_lazy("每个 token 的向量宽度：所有矩阵的一条边"),
    "intermediate_size": gettext_lazy("MLP 的宽度：MLP 参数 = 3 × hidden_size × intermediate_size × 层数"),
    "num_hidden_layers": gettext_lazy("层数：参数、计算和 KV 缓存都按层累加"),
    "num_attention_heads": gettext_lazy("查询头数"),
    "num_key_value_heads": gettext_lazy("键值头数（GQA）：KV 缓存与它成正比"),
    "head_dim": gettext_lazy("每个头的维度：KV 缓存每层每 token = 2 × kv 头 × head_dim × 字节"),
    "max_position_embeddings": gettext_lazy("配置允许的最长上下文"),
    "rope_theta": gettext_lazy("全局注意力层的 RoPE 基数"),
    "rope_local_theta": gettext_lazy("滑动窗口层的 RoPE 基数"),
    "sliding_window": gettext_lazy("滑动窗口层只看最近这么多 token，它们的 KV 缓存不再增长"),
    "sliding_layers": gettext_lazy("使用滑动窗口的层数"),
    "tie_word_embeddings": gettext_lazy("输出头是否复用嵌入表（省下一整张 vocab_size × hidden_size 的矩阵）"),
    "hidden_act": gettext_lazy("MLP 的激活函数"),
    "query_pre_attn_scalar": gettext_lazy("注意力分数的缩放（代替 √head_dim）"),
    "attn_logit_softcapping": gettext_lazy("注意力分数的软上限（双曲正切）"),
    "final_logit_softcapping": gettext_lazy("输出 logits 的软上限（双曲正切）"),
    "rms_norm_eps": gettext_lazy("RMSNorm 的 ε"),
    "qk_norm": gettext_lazy("查询和键在注意力前各做一次 RMSNorm（QK 归一化）"),
}


def _ok(result: dict) -> list[dict]:
    return [m for m in result.get("models", []) if m.get("status") == "ok"]


def _name(m: dict) -> str:
    return str((m.get("model_info") or {}).get("name") or m.get("model"))


# Identifiers inside a field's effect (class and field names), shown as code.
_IDENTIFIER = re.compile(r"\b(?:[A-Za-z0-9]*[a-z][A-Z][A-Za-z0-9]*|[a-z]+_[a-z_]+|[A-Z]{2,}[a-z]+[A-Za-z]*)\b")


def _effect(text: str) -> str:
    parts, last = [], 0
    for match in _IDENTIFIER.finditer(text):
        parts.append((text[last:match.start()], match.group()))
        last = match.end()
    return format_html_join("", "{}<code>{}</code>", parts) + format_html("{}", text[last:])


def _plain(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def cross_model_view(result: dict) -> dict:
    models = _ok(result)
    names = [_name(m) for m in models]
    config_rows = [[code(field), *[code(_plain((m.get("config") or {}).get(field))) for m in models],
                    _effect(str(effect))]
                   for field, effect in FIELD_EFFECTS.items()]
    param_rows = []
    for m in models:
        p = m["params"]
        total = p["total"] or 1
        param_rows.append([name(_name(m)), f"{p['total'] / 1e6:.1f} M", *[f"{p[k] / 1e6:.1f} M ({p[k] / total:.0%})"
                                                                      for k in ("embedding", "attention", "mlp")],
                           gettext("复用嵌入表") if p.get("tied") else gettext("单独的矩阵"),
                           f"{m['weight_bytes']['bf16'] / 2 ** 20:.0f} MiB"])
    kv_rows = []
    for m in models:
        kv = m["kv"]
        kv_rows.append([name(_name(m)), _num(kv["per_token_config_bf16"] / KIB, "{:.1f} KiB"),
                        _num(kv["config_bytes_at_probe"] / kv["probe_len"] / KIB, "{:.1f} KiB"),
                        _num(kv["measured_bytes_at_probe"] / kv["probe_len"] / KIB, "{:.1f} KiB"),
                        str(kv.get("sliding_tokens_held") or "—"), str(kv.get("full_tokens_held") or "—")])
    text_rows = [[name(_name(m)), *[_num(m["text"][lang][k], fmt) for lang in ("zh", "en")
                              for k, fmt in (("tokens_per_char", "{:.3f}"), ("bits_per_byte", "{:.3f}"),
                                             ("perplexity", "{:.1f}"))]] for m in models]
    rows = [[code(m.get("model")), status_text(m.get("status")),
             reason_text(m.get("reason") or "") or m.get("error", "")]
            for m in result.get("models", []) if m.get("status") != "ok"]
    probe = (models[0]["kv"]["probe_len"] if models else None)
    notes = [str(n) for m in models for n in (m.get("model_info") or {}).get("notes") or []]
    return {
        "headers": [gettext("模型"), gettext("状态"), gettext("原因")] if rows else [], "rows": rows,
        "charts": [
            _bars(gettext("解码速度"), [(name(_name(m)), m["speed"]["decode_tokens_per_s"]) for m in models], "tok/s"),
            _bars(gettext("预填充延迟（中位数）"), [(name(_name(m)), m["speed"]["prefill_latency_s"]["median"])
                                          for m in models], "s"),
            _bars(gettext("嵌入参数占比"),
                  [(name(_name(m)), 100 * m["params"]["embedding"] / (m["params"]["total"] or 1))
                                      for m in models], "%"),
            _bars(gettext("每 token KV 缓存（bf16，配置计算）"),
                  [(name(_name(m)), m["kv"]["per_token_config_bf16"] / KIB) for m in models], "KiB"),
        ],
        "tables": [
            {"title": gettext("config.json 对照"), "headers": [gettext("字段"), *map(name, names), gettext("改变什么")],
             "rows": config_rows},
            {"title": gettext("参数构成"),
             "headers": [gettext("模型"), gettext("总计"), gettext("嵌入"), gettext("注意力"), "MLP",
                         gettext("输出头"), gettext("bf16 权重")], "rows": param_rows},
            {"title": gettext("KV 缓存：配置计算与实测（预填充 %(n)s token 后）") % {"n": probe},
             "headers": [gettext("模型"), gettext("每 token，全部层（bf16）"),
                         gettext("每 token @%(n)s，配置计算（fp32）") % {"n": probe},
                         gettext("每 token @%(n)s，实测（fp32）") % {"n": probe}, gettext("滑动窗口层保留"),
                         gettext("全局层保留")],
             "rows": kv_rows},
            {"title": gettext("词表效率与困惑度（各自的分词器）"),
             "headers": [gettext("模型"), gettext("中文每字符 token 数"), gettext("中文每字节比特数"),
                         gettext("中文 ppl"),
                         gettext("英文每字符 token 数"), gettext("英文每字节比特数"), gettext("英文 ppl")],
             "rows": text_rows},
            plan_table(models),
        ],
        "statements": differences(result),
        "notes": notes + [gettext("每字节比特数 = 文本的总负对数似然 / (ln 2 × 被评分 token 覆盖的 UTF-8 字节数)："
                                  "不同分词器切出的 token 数不同，按字节归一后两个模型才能比较。")],
    }


def plan_table(models: list[dict]) -> dict:
    """The plan's models from their config.json (arithmetic) beside the measured ones."""
    rows = []
    for s in plan_model_shapes():
        est = parameter_estimate(s)
        rows.append([name(s["name"]), f"{est['total'] / 1e9:.2f} B", f"{est['embedding'] / est['total']:.0%}",
                     f"{kv_bytes_per_token(s) / KIB:.0f} KiB", f"{kv_bytes_per_token(s, length=8192) / KIB:.0f} KiB",
                     str(s.get("sliding_window") or "—"),
                     format_html('<a href="{}" rel="noopener" translate="no">{}</a>', s["source"], s["source"])])
    for m in models:
        c, p = m["config"], m["params"]
        shape = {**c, "sliding_layers": c.get("sliding_layers") or 0}
        rows.append([format_html(gettext("{model}（本次实测）"), model=name(_name(m))), f"{p['total'] / 1e9:.3f} B",
                     f"{p['embedding'] / (p['total'] or 1):.0%}", f"{kv_bytes_per_token(shape) / KIB:.1f} KiB",
                     f"{kv_bytes_per_token(shape, length=8192) / KIB:.1f} KiB", str(c.get("sliding_window") or "—"),
                     ""])
    return {"title": gettext("计划里的模型（来自公开的 config.json，按配置计算）"),
            "headers": [gettext("模型"), gettext("参数"), gettext("嵌入占比"), gettext("每 token KV @1（bf16）"),
                        gettext("每 token KV @8192（bf16）"), gettext("窗口"), gettext("来源")], "rows": rows}


def _say(template: str, values: dict) -> str:
    """A translated sentence with %(key)s fields, the model names in it marked as names (translate="no")."""
    return format_html(re.sub(r"%\((\w+)\)s", r"{\1}", template.replace("{", "{{").replace("}", "}}")),
                       **{k: name(v) if k in ("name", "a", "b") else v for k, v in values.items()})


def differences(result: dict) -> list[str]:
    """The models' differences in words, every number from the result."""
    models = _ok(result)
    out = []
    for m in models:
        p, c, kv = m["params"], m["config"], m["kv"]
        out.append(_say(gettext("%(name)s 把 %(share)s 的参数花在 %(vocab)s 词的词表上"
                                "（嵌入 %(emb)s M / 共 %(total)s M，"
                           "输出头%(tied)s）。")
                   , {"name": _name(m), "share": f"{p['embedding'] / (p['total'] or 1):.0%}",
                      "vocab": f"{c['vocab_size']:,}", "emb": f"{p['embedding'] / 1e6:.1f}",
                      "total": f"{p['total'] / 1e6:.1f}",
                      "tied": gettext("复用嵌入表") if p.get("tied") else gettext("是单独的矩阵")}))
        if c.get("sliding_layers"):
            out.append(_say(gettext("%(name)s 的 %(n)s 个局部注意力层把 KV 缓存限制在 %(w)s 个 token"
                               "（实测保留 %(held)s 个：transformers 只存窗口减一），"
                               "所以预填充 %(probe)s token 后实测每 token 只占 "
                               "%(measured)s KiB，而不设窗口时是 %(full)s KiB。")
                       , {"name": _name(m), "n": c["sliding_layers"], "w": c.get("sliding_window"),
                          "held": kv.get("sliding_tokens_held"), "probe": kv["probe_len"],
                          "measured": f"{kv['measured_bytes_at_probe'] / kv['probe_len'] / KIB:.1f}",
                          "full": f"{kv['per_token_config'] / KIB:.1f}"}))
    if len(models) >= 2:
        a, b = models[0], models[1]
        for lang, label in (("zh", gettext("中文")), ("en", gettext("英文"))):
            ta, tb = a["text"][lang]["tokens_per_char"], b["text"][lang]["tokens_per_char"]
            out.append(_say(gettext("%(lang)s评估文本：%(a)s 每字符 %(ta)s 个 token，%(b)s %(tb)s 个（%(ratio)s 倍）；"
                               "每字节比特数 %(ba)s 对 %(bb)s。")
                       , {"lang": label, "a": _name(a), "b": _name(b), "ta": f"{ta:.3f}", "tb": f"{tb:.3f}",
                          "ratio": f"{ta / tb:.2f}" if tb else "—", "ba": f"{a['text'][lang]['bits_per_byte']:.3f}",
                          "bb": f"{b['text'][lang]['bits_per_byte']:.3f}"}))
        da, db = a["speed"]["decode_tokens_per_s"], b["speed"]["decode_tokens_per_s"]
        out.append(_say(gettext("解码：%(a)s %(da)s tok/s，%(b)s %(db)s tok/s；"
                           "每 token KV 缓存（bf16，全部层）%(ka)s KiB 对 "
                           "%(kb)s KiB。")
                   , {"a": _name(a), "b": _name(b), "da": f"{da:.2f}", "db": f"{db:.2f}",
                      "ka": f"{a['kv']['per_token_config_bf16'] / KIB:.1f}",
                      "kb": f"{b['kv']['per_token_config_bf16'] / KIB:.1f}"}))
    out += busy_host_statement([(_name(m), m.get("host_load")) for m in models])
    return out


def cross_model_explain(result: dict) -> list[dict]:
    """What the architectures' differences change, each from the measured models: the vocabulary's share of the
    weights, GQA's KV bytes per token, sliding-window layers' cache past the window, tied embeddings, and quality
    read against the GGUF source the weights were dequantized from."""
    models = _ok(result)
    if not models:
        return []
    return (_embedding_rule(models) + _gqa_rule(models) + _sliding_rule(result, models) + _tied_rule(models)
            + _gguf_rule(models))


def _embedding_share(m: dict) -> float:
    return m["params"]["embedding"] / (m["params"]["total"] or 1)


def _embedding_rule(models: list[dict]) -> list[dict]:
    big, small = max(models, key=_embedding_share), min(models, key=_embedding_share)
    if _embedding_share(big) - _embedding_share(small) < 0.15:
        return []
    values = {"a": _name(big), "share": f"{_embedding_share(big):.0%}", "vocab": f"{big['config']['vocab_size']:,}",
              "b": _name(small), "bshare": f"{_embedding_share(small):.0%}",
              "bvocab": f"{small['config']['vocab_size']:,}",
              "rest": f"{(big['params']['total'] - big['params']['embedding']) / 1e6:.0f}"}
    text = gettext("%(a)s 把 %(share)s 的参数花在 %(vocab)s 词的词表上，%(b)s 只有 %(bshare)s（%(bvocab)s 词）："
                   "嵌入表每步只按 token 取一行，不参与矩阵乘，所以 %(a)s 每个 token 的计算量更像一个 %(rest)s M "
                   "参数的模型；大词表换来的是更少的 token%(tokens)s。")
    zh = [m["text"]["zh"]["tokens_per_char"] for m in (big, small)
          if _number(((m.get("text") or {}).get("zh") or {}).get("tokens_per_char"))]
    values["tokens"] = gettext("（中文每字符 %(ta)s 对 %(tb)s 个 token）") % {
        "ta": f"{zh[0]:.2f}", "tb": f"{zh[1]:.2f}"} if len(zh) == 2 else ""
    return [rule("embedding-share", _say(text, values), "config-json", "config")]


def _gqa_rule(models: list[dict]) -> list[dict]:
    grouped = [m for m in models if (m["config"].get("num_key_value_heads") or 0)
               < (m["config"].get("num_attention_heads") or 0)]
    if not grouped:
        return []
    parts = []
    for m in grouped:
        c = m["config"]
        heads, kv = c["num_attention_heads"], c["num_key_value_heads"]
        per_token = m["kv"]["per_token_config_bf16"]
        parts.append(_say(gettext("%(name)s 的 %(h)s 个查询头共用 %(kv)s 个键值头（GQA，%(r)s:1），每 token KV 缓存 "
                                  "%(kib)s KiB，每个头都有自己的键值时是 %(mha)s KiB"),
                          {"name": _name(m), "h": heads, "kv": kv, "r": f"{heads / kv:g}",
                           "kib": f"{per_token / KIB:.1f}", "mha": f"{per_token * heads / kv / KIB:.1f}"}))
    text = format_html("{}{}", format_html_join(gettext("；"), "{}", ((p,) for p in parts)), gettext(
        "：KV 缓存与键值头数成正比，同样的显存能放下几倍的上下文或并发请求，代价是注意力的表达力略降。"))
    return [rule("gqa-kv-bytes", text, "gpu-memory-optimization", "kv-cache")]


def _sliding_rule(result: dict, models: list[dict]) -> list[dict]:
    sliding = next((m for m in models if m["config"].get("sliding_layers") and m["config"].get("sliding_window")), None)
    if sliding is None:
        return []
    c, kv = sliding["config"], sliding["kv"]
    window, probe = c["sliding_window"], kv["probe_len"]
    values = {"name": _name(sliding), "n": c["sliding_layers"], "layers": c["num_hidden_layers"], "w": window,
              "probe": probe}
    if probe > window:
        values.update(measured=f"{kv['measured_bytes_at_probe'] / probe / KIB:.1f}",
                      full=f"{kv['per_token_config'] / KIB:.1f}")
        text = gettext("%(name)s 的 %(layers)s 层里有 %(n)s 层只看最近 %(w)s 个 token：预填充 %(probe)s 个 token 后，"
                       "这些层的缓存不再增长，实测每 token %(measured)s KiB，不设窗口时是 %(full)s KiB；"
                       "上下文越长省得越多，长度远超窗口时缓存几乎只剩全局层的那部分。")
    else:
        text = gettext("%(name)s 的 %(layers)s 层里有 %(n)s 层只看最近 %(w)s 个 token，但这次只预填充了 %(probe)s 个 "
                       "token，还没超过窗口，滑动窗口省下的缓存还看不出来。")
    change = {"kv_probe_len": min(32768, max(4 * window, 2 * probe))}
    return [rule("sliding-window-cache", _say(text, values), "sparse-attention", "decode-kv", change)]


def _tied_rule(models: list[dict]) -> list[dict]:
    tied = [m for m in models if m["params"].get("tied")]
    if not tied:
        return []
    parts = format_html_join(gettext("；"), "{}", ((_say(gettext("%(name)s 省下 %(m)s M（总参数的 %(share)s）"), {
        "name": _name(m), "m": f"{m['params']['embedding'] / 1e6:.1f}",
        "share": f"{m['params']['embedding'] / (m['params']['total'] or 1):.0%}"}),) for m in tied))
    return [rule("tied-embeddings", format_html(gettext(
        "输出头复用嵌入表（{field}）：最后一层的 logits 用同一张词表矩阵算出，不再单独存一份——{parts}。"
        "词表越大省得越多，权重文件和显存都小一截。"), field=code("tie_word_embeddings"), parts=parts),
        "config-json", "config")]


_GGUF = re.compile(r"[._-](q\d\w*?)\.gguf", re.IGNORECASE)


def _gguf_rule(models: list[dict]) -> list[dict]:
    sources = [(m, _GGUF.search(str((m.get("model_info") or {}).get("source") or ""))) for m in models]
    quantized = [(m, found.group(1).upper()) for m, found in sources if found]
    if not quantized:
        return []
    parts = format_html_join(gettext("、"), "{} {}", ((name(_name(m)), code(q)) for m, q in quantized))
    return [rule("quality-vs-gguf", format_html(gettext(
        "困惑度和每字节比特数都是相对各自的 GGUF 源量出来的：{models}的 fp32 权重是量化权重反量化得来的，"
        "测的是量化后模型的质量，不是原始 bf16 发布的质量；两个模型各带着各自格式的量化误差，"
        "比较它们时差一点不说明架构更好。"),
        models=parts), "ggml-qwen-cpp", "2q4_0-numpy")]


def cross_model_headline(result: dict) -> dict[str, tuple[float, str]]:
    """Decode tokens/s per model (the labels are the models' names)."""
    return {_name(m): (m["speed"]["decode_tokens_per_s"], "tok/s") for m in _ok(result)
            if _number(m["speed"].get("decode_tokens_per_s"))}


def cross_model_evidence(result: dict) -> str:
    return format_html_join(gettext("；"),
                            gettext("{}：{} M 参数，每 token KV {} KiB（bf16），{} tok/s，中文每字节 {} 比特"),
                            ((name(_name(m)), f"{m['params']['total'] / 1e6:.0f}",
                              f"{m['kv']['per_token_config_bf16'] / KIB:.1f}",
                              f"{m['speed']['decode_tokens_per_s']:.2f}", f"{m['text']['zh']['bits_per_byte']:.2f}")
                             for m in _ok(result)))

KIND = Lab(
    slug="cross-model",
    title=_("跨模型对比"),
    subtitle=_("Gemma 3 与 SmolLM2（Llama 架构）并排：config.json、参数构成、KV 缓存、速度与词表效率"),
    skills=("model-portability",),
    summarise=cross_model_view, headline=cross_model_headline, evidence=cross_model_evidence, headline_names=True,
    explain=cross_model_explain,
    labels={"models": _("模型（每行一个：smollm2-135m、gemma3-270m、fixture 或本地目录）"),
            "batch": _("批大小"), "kv_probe_len": _("测量 KV 缓存的预填充长度（token）")},
)
