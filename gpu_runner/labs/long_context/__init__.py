"""Long-context lab: one model under several RoPE settings (plain, linear, dynamic NTK, YaRN, its own config),
each in a fresh process, measured by perplexity against length and by passkey retrieval on a length x depth grid.

Method: lengths run in ascending order (dynamic NTK in transformers recomputes its base when a sequence grows
past the longest seen, so the order matters and matches a server's). Perplexity at length L = exp(mean NLL of
the L-1 next-token predictions) over `ppl_windows` consecutive windows of L tokens of the evaluation text (tiled
when the text is shorter, and then flagged: a model can copy repeated text). Prefill time = one forward pass of
the window that builds the KV cache (the language-model head runs afterwards, in chunks, for the perplexity);
KV-cache bytes are the cache's own tensors; peak memory is CUDA's max allocated during that pass, or on a CPU the
process RSS with the cache held. Passkey: a random 5-digit key at a relative depth inside filler text, the whole
prompt exactly L tokens, greedy 8 new tokens, exact match of the first number. Effective length = the largest
length up to which every tested length reaches the accuracy threshold.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

from gpu_runner.checkpoints.loading import describe_model, prepare_model
from gpu_runner.errors import Unsupported
from gpu_runner.labs import LabContext
from gpu_runner.labs.long_context.rope import setting_name
from labcontract.labs.long_context import check_long_context_params, published_reference

TARGET = "gpu_runner.labs.long_context:measure"
SHIPPED_TEXT = "shipped essay (gpu_runner/labs/long_context/text.py)"
LOGIT_CHUNK = 1024  # positions per language-model-head call: full-vocabulary logits for 32K tokens would not fit


def run(params: dict[str, Any], ctx: LabContext) -> dict[str, Any]:
    check_long_context_params(params, device=ctx.device)
    lengths, depths = sorted(params["lengths"]), sorted(params["passkey_depths"])
    dtype = params["dtype"] if params["dtype"] != "auto" else ("bf16" if ctx.device == "cuda" else "fp32")
    entries: list[dict[str, Any]] = []
    info: dict[str, Any] = {}
    try:
        prepare_model(ctx, params["model"])  # a first-use conversion is never part of a measured setting
        description = describe_model(params["model"])
    except Unsupported as exc:
        description = None
        entries = [{"setting": setting_name(s), "status": "unsupported", "reason": str(exc)}
                   for s in params["settings"]]
    for i, setting in enumerate(params["settings"] if description else []):
        name = setting_name(setting)
        spec = {**params, "setting": setting, "lengths": lengths, "passkey_depths": depths, "device": ctx.device,
                "dtype": dtype}
        out = ctx.measure(TARGET, spec, key="setting", name=name, index=i, total=len(params["settings"]))
        if out.get("status") == "ok":
            info = out.pop("model_info")
        entries.append(out)
    ctx.report(100, "done")
    model_l0 = info.get("model_trained_length")
    trained = params["trained_length"] or model_l0 or 0
    nominal = params["trained_length"] is not None and params["trained_length"] != model_l0
    notes = []
    if nominal:
        notes.append(f"trained length {trained} is nominal, set by the job: the scaling formulas treat {trained} as "
                     f"the trained length, but the model was trained on {model_l0} tokens, so plain RoPE does not "
                     f"break down past {trained}; the figures show what each scaling changes relative to it")
    if any(c.get("text_repeated") for e in entries for c in e.get("cells", [])):
        notes.append(f"the evaluation text has {info.get('text_tokens')} tokens with this tokenizer; longer windows "
                     "repeat it, which flatters perplexity (the model can copy)")
    return {"lab": "long-context", "model": params["model"], "model_description": description,
            "device": ctx.device, "dtype": dtype,
            "trained_length": trained, "model_trained_length": model_l0, "trained_length_nominal": nominal,
            "model_rope": info.get("model_rope"), "lengths": lengths, "depths": depths,
            "accuracy_threshold": params["accuracy_threshold"], "settings": entries,
            "published_reference": published_reference(),
            "eval_text": {"source": "upload" if params["eval_text"] else SHIPPED_TEXT,
                          "tokens": info.get("text_tokens")},
            "notes": notes}


def effective_length(cells: list[dict[str, Any]], threshold: float) -> int | None:
    best = None
    for cell in cells:  # ascending lengths
        if cell["passkey_accuracy"] < threshold:
            break
        best = cell["length"]
    return best


def passkey_prompt(tok: Any, length: int, depth: float, key: int) -> list[int]:
    """Exactly `length` tokens: intro, filler with the needle at `depth` (snapped to a filler sentence), question."""
    from gpu_runner.labs.long_context.text import PASSKEY_FILLER, PASSKEY_INTRO, PASSKEY_NEEDLE, PASSKEY_QUESTION

    intro, question = tok.encode(PASSKEY_INTRO), tok.encode(PASSKEY_QUESTION)
    needle, unit = tok.encode(PASSKEY_NEEDLE.format(key=key)), tok.encode(PASSKEY_FILLER)
    room = length - len(intro) - len(needle) - len(question)
    if room < len(unit):
        raise ValueError(f"lengths: {length} tokens is too short for the passkey prompt (it needs at least "
                         f"{length - room + len(unit)} tokens with this tokenizer)")
    filler = (unit * (room // len(unit) + 1))[:room]
    cut = min(room, round(depth * room / len(unit)) * len(unit))
    return intro + filler[:cut] + needle + filler[cut:] + question


def passkey_key(seed: int, length: int, depth: float, trial: int) -> int:
    """The same keys for every setting, so settings are compared on identical prompts."""
    return random.Random(f"{seed}/{length}/{depth}/{trial}").randint(10000, 99999)


# ---- child process side ------------------------------------------------------------------------------


def measure(spec: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """One RoPE setting across every length (runs in a fresh process)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from gpu_runner.checkpoints.loading import load_tokenizer, model_path, pin_threads, torch_dtype
    from gpu_runner.labs.long_context.rope import apply_setting, model_rope_source, model_trained_length
    from gpu_runner.labs.long_context.text import EVAL_TEXT
    from gpu_runner.measure import timing as m

    device = spec["device"]
    threads = pin_threads()
    report(0.0, "loading")
    path = model_path(spec["model"])
    config = AutoConfig.from_pretrained(path)
    model_l0 = model_trained_length(config)
    applied = apply_setting(config, spec["setting"], spec["trained_length"] or model_l0)
    placement = {"device_map": device} if device == "cuda" else {}
    model = AutoModelForCausalLM.from_pretrained(path, config=config, dtype=torch_dtype(spec["dtype"]),
                                                 **placement).eval()
    tok = load_tokenizer(spec["model"])
    text_ids = tok.encode(spec["eval_text"] or EVAL_TEXT)
    dev = next(model.parameters()).device
    sync = m.synchronizer(device)
    cells = []
    with torch.inference_mode():
        model(input_ids=torch.tensor([text_ids[:32]], device=dev))  # warm-up: one-off kernel and allocator costs
        for i, length in enumerate(spec["lengths"]):
            report(i / len(spec["lengths"]), f"{length} tokens")
            cell = _perplexity_cell(model, text_ids, length, spec["ppl_windows"], dev, device, sync)
            cell.update(_passkey(model, tok, length, spec, dev))
            cells.append(cell)
    report(1.0, "done")
    return {"setting": setting_name(spec["setting"]), "status": "ok", "torch_threads": threads,
            "rope_parameters": applied, "cells": cells,
            "effective_length": effective_length(cells, spec["accuracy_threshold"]),
            "model_info": {"model_trained_length": model_l0, "model_rope": model_rope_source(path),
                           "text_tokens": len(text_ids)}}


def _perplexity_cell(model: Any, text_ids: list[int], length: int, windows: int, dev: Any, device: str,
                     sync: Callable[[], None]) -> dict[str, Any]:
    import math

    import torch

    from gpu_runner.measure import timing as m

    need = length * windows
    repeated = len(text_ids) < need
    ids_all = (text_ids * (need // len(text_ids) + 1))[:need] if repeated else text_ids[:need]
    nll, scored, prefill, kv_bytes, peak = 0.0, 0, [], 0, 0
    head = model.get_output_embeddings()
    for w in range(windows):
        ids = torch.tensor([ids_all[w * length:(w + 1) * length]], device=dev)
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        seconds, out = m.timed(lambda ids=ids: model.base_model(input_ids=ids, use_cache=True), sync)
        prefill.append(seconds)
        kv_bytes = _cache_bytes(out.past_key_values)
        peak = max(peak, int(torch.cuda.max_memory_allocated()) if device == "cuda" else m.current_rss_bytes())
        hidden = out.last_hidden_state[0]
        del out
        for start in range(0, length - 1, LOGIT_CHUNK):
            stop = min(start + LOGIT_CHUNK, length - 1)
            logits = head(hidden[start:stop]).float()
            nll += float(torch.nn.functional.cross_entropy(logits, ids[0, start + 1:stop + 1], reduction="sum"))
        scored += length - 1
    mean = nll / scored
    return {"length": length, "perplexity": math.exp(min(mean, 700.0)), "nll": mean, "tokens_scored": scored,
            "text_repeated": repeated, "prefill_s": m.summarize(prefill)["median"], "kv_cache_bytes": kv_bytes,
            "peak_memory_bytes": peak}


def _cache_bytes(cache: Any) -> int:
    total = 0
    for layer in getattr(cache, "layers", None) or []:
        for name in ("keys", "values"):
            t = getattr(layer, name, None)
            if t is not None and hasattr(t, "numel"):
                total += t.numel() * t.element_size()
    return total


def _passkey(model: Any, tok: Any, length: int, spec: dict[str, Any], dev: Any) -> dict[str, Any]:
    import torch

    per_depth = []
    for depth in spec["passkey_depths"]:
        hits = 0
        for trial in range(spec["passkey_trials"]):
            key = passkey_key(spec["seed"], length, depth, trial)
            ids = torch.tensor([passkey_prompt(tok, length, depth, key)], device=dev)
            out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                 max_new_tokens=8, pad_token_id=tok.pad_token_id)
            answer = re.search(r"\d+", tok.decode(out[0, length:].tolist()))
            hits += bool(answer and answer.group() == str(key))
        per_depth.append({"depth": depth, "accuracy": hits / spec["passkey_trials"], "trials": spec["passkey_trials"]})
    return {"passkey": per_depth, "passkey_accuracy": sum(d["accuracy"] for d in per_depth) / len(per_depth)}
