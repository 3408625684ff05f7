"""Quantization lab: load one model at several precisions, each in a fresh process, and measure weight
bytes, peak memory, load time, prefill latency, decode throughput and quality against the highest precision.

Method (optimum-benchmark): warm-up runs untimed; `repeats` timed runs per phase; prefill = generate with
1 new token; decode time = generate time - median prefill time; decode tokens/s = batch x (gen_len - 1) /
median decode time; generation is greedy with EOS suppressed until gen_len, so every run makes the same
number of tokens. On CUDA every timer waits for the device (torch.cuda.synchronize).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any

from gpu_runner.labs import LabContext
from gpu_runner.models import FLOAT_PRECISIONS, describe_model, prepare_model, support_reason

TARGET = "gpu_runner.labs.quant_inference:measure"


def reference_precision(requested: list[str], device: str) -> tuple[str, bool]:
    """The highest float precision requested, else a default one added for quality comparisons."""
    for p in FLOAT_PRECISIONS:
        if p in requested:
            return p, False
    return ("bf16" if device == "cuda" else "fp32"), True


def run(params: dict[str, Any], ctx: LabContext) -> dict[str, Any]:
    requested = list(params["precisions"])
    reference, added = reference_precision(requested, ctx.device)
    order = [reference] + [p for p in requested if p != reference]
    entries: list[dict[str, Any]] = []
    bandwidth = None
    prepare_model(ctx, params["model"])
    with tempfile.TemporaryDirectory(prefix="dd-quant-") as workdir:
        ref_path = os.path.join(workdir, "reference_logprobs.npy")
        for i, precision in enumerate(order):
            reason = support_reason(precision, cuda=ctx.device == "cuda", checkpoints=params["checkpoints"])
            if reason:
                entries.append({"precision": precision, "status": "unsupported", "reason": reason})
                continue
            spec = {**params, "precision": precision, "device": ctx.device, "is_reference": precision == reference,
                    "reference_logprobs": ref_path}
            out = ctx.measure(TARGET, spec, key="precision", name=precision, index=i, total=len(order))
            if out.get("status") != "ok":
                entries.append(out)
                continue
            bandwidth = out.pop("device_bandwidth", None) or bandwidth
            if precision == reference and added:
                out["added_as_reference"] = True
            entries.append(out)
    ctx.report(100, "done")
    batch = max(1, len(params["prompts"]))
    return {"lab": "quant-inference", "model": params["model"], "model_info": describe_model(params["model"]),
            "device": ctx.device, "reference_precision": reference, "device_bandwidth": bandwidth,
            "settings": {"batch": batch, "prompt_len": params["prompt_len"], "gen_len": params["gen_len"],
                         "repeats": params["repeats"], "warmup": params["warmup"],
                         "quality_tokens": params["quality_tokens"]},
            "precisions": entries}


# ---- child process side ------------------------------------------------------------------------------


def measure(spec: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """Measure one precision (runs in a fresh process; spec = lab params + precision, device, paths)."""
    import torch

    from gpu_runner import measurement as m
    from gpu_runner.labs.texts import DEFAULT_PROMPT, QUALITY_TEXT, tokens_of_length
    from gpu_runner.models import load_model, load_tokenizer, pin_threads, warm_imports

    device, precision = spec["device"], spec["precision"]
    threads = pin_threads()
    sync = m.synchronizer(device)
    report(0.0, "loading")
    tok = load_tokenizer(spec["model"])
    prompts = spec["prompts"] or [DEFAULT_PROMPT]
    input_ids = torch.tensor([tokens_of_length(tok.encode(p), spec["prompt_len"]) for p in prompts])
    quality_ids = torch.tensor([tokens_of_length(tok.encode(QUALITY_TEXT), spec["quality_tokens"])])
    warm_imports(spec["model"])
    rss_before = m.current_rss_bytes()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    load_s, (model, backend, notes) = m.timed(
        lambda: load_model(spec["model"], precision, device, spec.get("checkpoints") or {}), sync)
    dev = next(model.parameters()).device
    input_ids, quality_ids = input_ids.to(dev), quality_ids.to(dev)
    gen_len, batch = spec["gen_len"], input_ids.shape[0]

    def generate(new_tokens: int) -> Any:
        out = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), do_sample=False,
                             max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                             pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
        if out.shape[1] != input_ids.shape[1] + new_tokens:  # a short run would inflate tokens/s
            raise RuntimeError(f"generate made {out.shape[1] - input_ids.shape[1]} tokens, not {new_tokens}")
        return out

    runs = spec["warmup"] + 2 * spec["repeats"]
    with torch.inference_mode():
        for i in range(spec["warmup"]):
            report(i / runs, "warm-up")
            generate(gen_len)
        prefill = []
        for i in range(spec["repeats"]):
            report((spec["warmup"] + i) / runs, "prefill")
            prefill.append(m.timed(lambda: generate(1), sync)[0])
        total = []
        for i in range(spec["repeats"]):
            report((spec["warmup"] + spec["repeats"] + i) / runs, "decode")
            total.append(m.timed(lambda: generate(gen_len), sync)[0])
        report(0.97, "quality")
        quality = _quality(model, quality_ids, spec["is_reference"], spec["reference_logprobs"])
    prefill_median = m.summarize(prefill)["median"]
    decode = [max(t - prefill_median, 1e-9) for t in total]
    steps = gen_len - 1
    tps_runs = [batch * steps / d for d in decode]
    decode_stats = m.summarize(decode)
    result: dict[str, Any] = {
        "precision": precision, "status": "ok", "backend": backend, "weight_bytes": m.weight_bytes(model),
        "load_s": load_s, "memory": _memory(device, rss_before),
        "prefill_latency_s": m.summarize(prefill), "generate_latency_s": m.summarize(total),
        "decode_latency_s": decode_stats, "decode_tokens_per_s": batch * steps / decode_stats["median"],
        "decode_tokens_per_s_cv": m.coefficient_of_variation(tps_runs), "decode_tokens_per_s_runs": tps_runs,
        "quality": quality, "decode_ceiling_tokens_per_s": None, "mbu": None, "notes": notes,
        "torch_threads": threads,
    }
    if device == "cuda":
        from gpu_runner.bandwidth import device_bandwidth

        bw = device_bandwidth()
        steps_per_s = steps / decode_stats["median"]
        # At small batch every decode step reads all weights once; KV-cache reads are left out (small here).
        result["decode_ceiling_tokens_per_s"] = batch * bw["gb_per_s"] * 1e9 / result["weight_bytes"]
        result["mbu"] = steps_per_s * result["weight_bytes"] / (bw["gb_per_s"] * 1e9)
        result["device_bandwidth"] = bw
    report(1.0, "done")
    return result


def _memory(device: str, rss_before: int) -> dict[str, int | None]:
    from gpu_runner import measurement as m

    mem: dict[str, int | None] = {"peak_rss_bytes": m.peak_rss_bytes(), "rss_before_load_bytes": rss_before,
                                  "cuda_max_allocated_bytes": None, "cuda_max_reserved_bytes": None}
    if device == "cuda":
        import torch

        mem["cuda_max_allocated_bytes"] = int(torch.cuda.max_memory_allocated())
        mem["cuda_max_reserved_bytes"] = int(torch.cuda.max_memory_reserved())
    return mem


def _quality(model: Any, ids: Any, is_reference: bool, ref_path: str) -> dict[str, float | None]:
    """Next-token agreement, mean KL(reference || this) and perplexity on the fixed text."""
    import numpy as np
    import torch

    logits = model(input_ids=ids).logits[0, :-1].float()
    logprobs = torch.log_softmax(logits, dim=-1)
    targets = ids[0, 1:]
    nll = -logprobs.gather(1, targets[:, None]).squeeze(1)
    perplexity = float(torch.exp(nll.double().mean()))
    if is_reference:  # saved, then compared with itself like any other precision: a check on the pipeline
        np.save(ref_path, logprobs.cpu().numpy())
    if not os.path.exists(ref_path):  # the reference run failed: no comparison to make
        return {"top1_agreement": None, "mean_kl": None, "perplexity": perplexity, "reference_perplexity": None}
    ref = torch.from_numpy(np.load(ref_path)).double()
    mine = logprobs.cpu().double()
    agreement = float((ref.argmax(-1) == mine.argmax(-1)).double().mean())
    kl = float((ref.exp() * (ref - mine)).sum(-1).mean())
    ref_ppl = float(torch.exp(-ref.gather(1, targets.cpu()[:, None]).mean()))
    return {"top1_agreement": agreement, "mean_kl": kl, "perplexity": perplexity,
            "reference_perplexity": ref_ppl}


