"""Cross-model lab: two or more models (SmolLM2-135M, a Llama; Gemma 3 270M; the fixture, a Qwen2; local
directories), each measured in its own fresh process on the same workload, so what an architecture changes is
seen on this machine rather than read about.

Per model: the config.json fields that shape it; parameters split into embedding / attention / MLP / norms (and
whether the output head is the embedding, tied); weight bytes; KV-cache bytes per token from the config and
measured from the cache the model really builds after a prefill of `kv_probe_len` tokens (sliding-window layers
counted as they are: transformers' DynamicSlidingWindowLayer keeps the last window - 1 tokens); prefill latency and
decode tokens/s (generate(), split at the first token as in the quantization lab); tokens per character of a
Chinese and an English text (vocabulary efficiency); perplexity of each text under each model's own tokenizer, and
per byte of UTF-8 (bits per byte), the figure two tokenizers can be compared on.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Any

from gpu_runner.checkpoints.loading import describe_model, prepare_model
from gpu_runner.errors import Unsupported
from gpu_runner.labs import LabContext

TARGET = "gpu_runner.labs.cross_model:measure"
NLL_CHUNK_TOKENS = 64  # positions whose full-vocabulary logits exist at once (Gemma's 262k vocabulary: 67 MB)

# Evaluation texts (written for this lab): the same subject in each language, plain prose.
EVAL_TEXTS = {
    "en": (
        "A model that serves many users must share one accelerator between them. Each request keeps a cache of "
        "keys and values for every layer, and that cache grows with every token the request reads or writes. "
        "Engineers therefore count bytes before they count operations: the weights are read once per decoding "
        "step, the cache is read once per step for every sequence in the batch, and whatever is left of the "
        "memory decides how many sequences can run together. A smaller vocabulary shrinks the embedding table; "
        "fewer key and value heads shrink the cache; a sliding window stops the cache of some layers from "
        "growing at all. None of these choices is free, and the only honest way to compare them is to measure "
        "the same text on the same machine."
    ),
    "zh": (
        "一个同时服务很多用户的模型，必须让他们共用同一块加速卡。每个请求都要为每一层保存键和值的缓存，"
        "而且请求每读入或写出一个词元，这份缓存就会变大。所以工程师先数字节，再数运算：每一步解码都要把权重读一遍，"
        "批里的每个序列还要把自己的缓存读一遍，剩下的显存决定了能有多少个序列一起运行。词表小一些，嵌入表就小；"
        "键值头少一些，缓存就小；滑动窗口能让一部分层的缓存不再增长。这些选择都有代价，"
        "唯一可靠的比较方法，是在同一台机器上用同一段文本去测量。"
    ),
}

# config.json fields the lab shows side by side (what each changes is the page's to say).
CONFIG_FIELDS = ("model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                 "num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings",
                 "rope_theta", "rope_local_theta", "sliding_window", "sliding_layers", "tie_word_embeddings",
                 "hidden_act", "query_pre_attn_scalar", "attn_logit_softcapping", "final_logit_softcapping",
                 "rms_norm_eps", "qk_norm")


def run(params: dict[str, Any], ctx: LabContext) -> dict[str, Any]:
    refs = list(params["models"])
    entries: list[dict[str, Any]] = []
    for i, ref in enumerate(refs):
        try:
            prepare_model(ctx, ref)
        except Unsupported as exc:
            entries.append({"model": ref, "status": "unsupported", "reason": f"models[{i}]: {exc}"})
            continue
        spec = {**params, "model": ref, "index": i, "device": ctx.device}
        out = ctx.measure(TARGET, spec, key="model", name=ref, index=i, total=len(refs))
        if out.get("status") == "unsupported":
            out["reason"] = f"models[{i}]: {out['reason']}"
        elif out.get("status") == "ok":
            out["model_info"] = describe_model(ref)
        entries.append(out)
    ctx.report(100, "done")
    return {"lab": "cross-model", "device": ctx.device,
            "settings": {k: params[k] for k in ("prompt_len", "gen_len", "batch", "repeats", "warmup",
                                                "kv_probe_len")},
            "texts": {lang: {"chars": len(t), "bytes": len(t.encode())} for lang, t in EVAL_TEXTS.items()},
            "models": entries}


# ---- pure helpers (also used by the tests) ----------------------------------------------------------


def layer_kinds(config: Any) -> list[str]:
    """'sliding_attention' or 'full_attention' for each layer, as the model builds them."""
    n = int(config.num_hidden_layers)
    kinds = getattr(config, "layer_types", None)
    if kinds:
        return list(kinds)
    window = getattr(config, "sliding_window", None)
    return ["sliding_attention" if window and getattr(config, "use_sliding_window", True) else "full_attention"] * n


def head_dim(config: Any) -> int:
    return int(getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads)


def config_facts(config: Any, qk_norm: bool) -> dict[str, Any]:
    """The shown config.json fields, with rope thetas flattened and layer kinds counted."""
    rope = getattr(config, "rope_parameters", None) or {}
    if "full_attention" in rope:  # per layer kind (Gemma 3)
        theta, local = rope["full_attention"].get("rope_theta"), rope.get("sliding_attention", {}).get("rope_theta")
    else:
        theta, local = rope.get("rope_theta", getattr(config, "rope_theta", None)), None
    kinds = layer_kinds(config)
    sliding = kinds.count("sliding_attention")
    facts = {
        "model_type": config.model_type, "vocab_size": config.vocab_size, "hidden_size": config.hidden_size,
        "intermediate_size": config.intermediate_size, "num_hidden_layers": config.num_hidden_layers,
        "num_attention_heads": config.num_attention_heads, "num_key_value_heads": config.num_key_value_heads,
        "head_dim": head_dim(config), "max_position_embeddings": config.max_position_embeddings,
        "rope_theta": theta, "rope_local_theta": local,
        "sliding_window": getattr(config, "sliding_window", None) if sliding else None,
        "sliding_layers": sliding, "tie_word_embeddings": bool(getattr(config, "tie_word_embeddings", False)),
        "hidden_act": getattr(config, "hidden_activation", None) or getattr(config, "hidden_act", None),
        "query_pre_attn_scalar": getattr(config, "query_pre_attn_scalar", None),
        "attn_logit_softcapping": getattr(config, "attn_logit_softcapping", None),
        "final_logit_softcapping": getattr(config, "final_logit_softcapping", None),
        "rms_norm_eps": getattr(config, "rms_norm_eps", None), "qk_norm": qk_norm,
    }
    return {k: (float(v) if isinstance(v, float) else v) for k, v in facts.items()}


def kv_bytes_config(config: Any, length: int, dtype_bytes: int) -> int:
    """KV-cache bytes for one sequence of `length` tokens by config arithmetic: every layer keeps K and V of
    num_key_value_heads x head_dim per token; a sliding-window layer keeps at most sliding_window tokens."""
    per_layer_token = 2 * config.num_key_value_heads * head_dim(config) * dtype_bytes
    window = getattr(config, "sliding_window", None) or length
    return sum(per_layer_token * (min(length, window) if kind == "sliding_attention" else length)
               for kind in layer_kinds(config))


def parameter_split(model: Any) -> dict[str, Any]:
    """Parameters by role. named_parameters() yields a tied weight once, so a tied head adds nothing."""
    split = {"embedding": 0, "lm_head": 0, "attention": 0, "mlp": 0, "norm": 0, "other": 0}
    for name, p in model.named_parameters():
        n = p.numel()
        if "embed_tokens" in name:
            split["embedding"] += n
        elif name.startswith("lm_head"):
            split["lm_head"] += n
        elif ".self_attn." in name:
            split["attention"] += n
        elif ".mlp." in name:
            split["mlp"] += n
        elif "norm" in name:
            split["norm"] += n
        else:
            split["other"] += n
    out = {**split, "total": sum(split.values())}
    out["tied"] = model.get_output_embeddings().weight is model.get_input_embeddings().weight
    return out


def scored_ids(tok: Any, text: str) -> tuple[list[int], int, int]:
    """(ids, first scored position, UTF-8 bytes those scored tokens cover). With a BOS token (Gemma's tokenizer adds
    one; SmolLM2's and the fixture's add none) every text token is scored; without, the first token has no
    context and its bytes leave the count."""
    hf = getattr(tok, "tok", None)
    ids = list(hf.encode(text, add_special_tokens=True)) if hf is not None else tok.encode(text)
    total = len(text.encode())
    bos = getattr(hf, "bos_token_id", None) if hf is not None else None
    if bos is not None and ids and ids[0] == bos:
        return ids, 1, total
    return ids, 1, total - len(tok.decode(ids[:1]).encode())


def text_figures(nll_sum: float, scored: int, scored_bytes: int, text: str, text_tokens: int) -> dict[str, Any]:
    return {"tokens": text_tokens, "chars": len(text), "tokens_per_char": text_tokens / len(text),
            "bytes_per_token": len(text.encode()) / text_tokens, "scored_tokens": scored,
            "scored_bytes": scored_bytes, "nll_nats": nll_sum, "perplexity": math.exp(nll_sum / scored),
            "bits_per_byte": nll_sum / scored_bytes / math.log(2),
            "byte_perplexity": math.exp(nll_sum / scored_bytes)}


# ---- child process side ------------------------------------------------------------------------------


def measure(spec: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    import torch
    from transformers import AutoModelForCausalLM

    from gpu_runner.checkpoints.loading import load_tokenizer, model_path, pin_threads, warm_imports
    from gpu_runner.labs.quant_inference import _timed_runs
    from gpu_runner.labs.texts import DEFAULT_PROMPT, tokens_of_length
    from gpu_runner.measure import timing as m

    threads = pin_threads()
    load_before = os.getloadavg()[0]
    device = spec["device"]
    sync = m.synchronizer(device)
    report(0.0, "loading")
    path = model_path(spec["model"])
    tok = load_tokenizer(spec["model"])
    warm_imports(spec["model"])
    rss_before = m.current_rss_bytes()
    load_s, model = m.timed(lambda: AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).to(device).eval(),
                            sync)
    config = model.config
    longest = max(spec["prompt_len"] + spec["gen_len"], spec["kv_probe_len"])
    if longest > config.max_position_embeddings:
        field = "kv_probe_len" if spec["kv_probe_len"] >= spec["prompt_len"] + spec["gen_len"] else "prompt_len"
        raise Unsupported(f"{field}: {longest} tokens is past this model's context of "
                          f"{config.max_position_embeddings} (max_position_embeddings)")
    qk_norm = any(name.endswith("self_attn.q_norm") for name, _ in model.named_modules())
    dtype_bytes = next(model.parameters()).element_size()
    result: dict[str, Any] = {
        "model": spec["model"], "status": "ok", "config": config_facts(config, qk_norm),
        "architecture": (getattr(config, "architectures", None) or [type(model).__name__])[0],
        "params": parameter_split(model), "load_s": load_s, "torch_threads": threads, "notes": [],
        "weight_bytes": {"loaded": m.weight_bytes(model), "dtype": str(next(model.parameters()).dtype)
                         .replace("torch.", "")},
    }
    result["weight_bytes"]["bf16"] = result["params"]["total"] * 2
    with torch.inference_mode():
        report(0.1, "KV cache")
        result["kv"] = _kv(model, tok, spec["kv_probe_len"], dtype_bytes, device)
        report(0.3, "evaluation texts")
        result["text"] = {}
        for lang, text in EVAL_TEXTS.items():
            ids, first, scored_bytes = scored_ids(tok, text)
            nll = _nll_sum(model, torch.tensor([ids], device=device), first)
            text_tokens = len(tok.encode(text))
            result["text"][lang] = text_figures(nll, len(ids) - first, scored_bytes, text, text_tokens)
        report(0.5, "speed")
        result["speed"] = _speed(model, tok, spec, sync, device, report, _timed_runs, DEFAULT_PROMPT,
                                 tokens_of_length)
    result["memory"] = {"peak_rss_bytes": m.peak_rss_bytes(), "rss_before_load_bytes": rss_before}
    result["host_load"] = m.host_load(load_before)
    report(1.0, "done")
    return result


def _kv(model: Any, tok: Any, length: int, dtype_bytes: int, device: str) -> dict[str, Any]:
    """Prefill `length` tokens with a cache and weigh the cache the model built, layer by layer."""
    import torch

    from gpu_runner.labs.texts import tokens_of_length

    ids = torch.tensor([tokens_of_length(tok.encode(EVAL_TEXTS["en"] + EVAL_TEXTS["zh"]), length)], device=device)
    out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
    cache = getattr(out, "cache", None) or out.past_key_values
    kinds = layer_kinds(model.config)
    layers = []
    for kind, layer in zip(kinds, cache.layers, strict=True):
        held = int(layer.keys.shape[-2])
        layers.append({"kind": kind, "tokens_held": held,
                       "bytes": int(layer.keys.numel() * layer.keys.element_size()
                                    + layer.values.numel() * layer.values.element_size())})
    measured = sum(layer["bytes"] for layer in layers)
    config = model.config
    per_token = kv_bytes_config(config, 1, dtype_bytes)  # every layer, one token: no window applies
    sliding = [layer["tokens_held"] for layer in layers if layer["kind"] == "sliding_attention"]
    full = [layer["tokens_held"] for layer in layers if layer["kind"] == "full_attention"]
    return {"dtype_bytes": dtype_bytes, "probe_len": length, "per_token_config": per_token,
            "per_token_config_bf16": kv_bytes_config(config, 1, 2),
            "config_bytes_at_probe": kv_bytes_config(config, length, dtype_bytes),
            "measured_bytes_at_probe": measured, "measured_per_token_at_probe": measured / length,
            "sliding_tokens_held": max(sliding) if sliding else None, "full_tokens_held": max(full) if full else None,
            "layers": layers}


def _nll_sum(model: Any, ids: Any, first: int) -> float:
    """Sum of -log p(token) over positions first..end, the output head applied NLL_CHUNK_TOKENS positions at a
    time (softcapping applied as the model does)."""
    import torch

    hidden = model.get_decoder()(input_ids=ids).last_hidden_state[0, first - 1:-1]
    targets = ids[0, first:]
    head = model.get_output_embeddings()
    cap = getattr(model.config, "final_logit_softcapping", None)
    total = 0.0
    for i in range(0, hidden.shape[0], NLL_CHUNK_TOKENS):
        logits = head(hidden[i:i + NLL_CHUNK_TOKENS]).double()
        if cap:
            logits = torch.tanh(logits / cap) * cap
        logprobs = torch.log_softmax(logits, dim=-1)
        total -= float(logprobs.gather(1, targets[i:i + NLL_CHUNK_TOKENS, None]).sum())
    return total


def _speed(model: Any, tok: Any, spec: dict[str, Any], sync: Any, device: str, report: Any, timed_runs: Any,
           prompt: str, tokens_of_length: Any) -> dict[str, Any]:
    import torch

    from gpu_runner.measure import timing as m

    batch, gen_len = spec["batch"], spec["gen_len"]
    input_ids = torch.tensor([tokens_of_length(tok.encode(prompt), spec["prompt_len"])] * batch, device=device)

    def generate(streamer: Any = None) -> Any:
        out = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), do_sample=False,
                             max_new_tokens=gen_len, min_new_tokens=gen_len, pad_token_id=tok.pad_token_id,
                             eos_token_id=tok.eos_token_id, streamer=streamer)
        if out.shape[1] != input_ids.shape[1] + gen_len:
            raise RuntimeError(f"generate made {out.shape[1] - input_ids.shape[1]} tokens, not {gen_len}")
        return out

    for _ in range(spec["warmup"]):
        generate()
    start = time.perf_counter()
    prefill, decode, _total, refused = timed_runs(generate, sync, spec["repeats"],
                                                  lambda i: report(0.5 + 0.5 * i / spec["repeats"], "timed runs"))
    if not decode:
        raise RuntimeError("every timed run was refused: " + "; ".join(refused))
    steps = gen_len - 1
    runs = [batch * steps / d for d in decode]
    return {"prefill_latency_s": m.summarize(prefill), "decode_latency_s": m.summarize(decode),
            "decode_tokens_per_s": batch * steps / m.summarize(decode)["median"], "decode_tokens_per_s_runs": runs,
            "prefill_tokens_per_s": batch * spec["prompt_len"] / m.summarize(prefill)["median"],
            "timed_s": time.perf_counter() - start, "refused": refused}
