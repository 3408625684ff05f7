"""Quantization lab: load one model at several precisions, each in a fresh process, and measure weight
bytes, peak memory, load time, prefill latency, decode throughput and quality against the highest precision.

Method (optimum-benchmark's phases, timed inside one call): warm-up runs untimed; `repeats` timed generate calls;
each call's prefill ends when its first new token reaches the host (a generate() streamer notes the moment; on CUDA
the streamer's copy of the token waits for the device), so prefill and decode come from the same run and a decode
time can never be a difference of two separately timed runs. Decode tokens/s = batch x (gen_len - 1) / median
decode time; a run that cannot be split (no first token, or a non-positive phase) is refused with its reason.
Generation is greedy with EOS suppressed until gen_len, so every run makes the same number of tokens. On CUDA every
timer waits for the device (torch.cuda.synchronize), peak GPU memory is measured from after the model is loaded and
quantized until before the quality pass, NVML telemetry is sampled through the timed runs, and MBU counts the
bytes a decode step reads (gpu_runner.measure.nvml.bytes_read_per_token).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

from gpu_runner.checkpoints.loading import (
    FLOAT_PRECISIONS,
    compute_capability,
    describe_model,
    prepare_model,
    support_reason,
)
from gpu_runner.labs import LabContext

TARGET = "gpu_runner.labs.quant_inference:measure"
# params.compile: every precision of the job alike, so a speed-up is never compilation credited to a precision.
# transformers compiles the decode forward itself when generate() uses a static KV cache on CUDA
# (GenerationMixin._valid_auto_compile_criteria; CompileConfig default mode "reduce-overhead": CUDA graphs).
COMPILE_CPU_REASON = ("compile: transformers compiles generate()'s decode step on CUDA only "
                      "(GenerationMixin._valid_auto_compile_criteria); this job runs on the CPU")
QUALITY_CHUNK_TOKENS = 32  # positions whose full-vocabulary logits exist at once in the quality pass
TELEMETRY_INTERVAL_MS = 100
TELEMETRY_MAX_SAMPLES = 200  # per precision: keeps a nine-precision result well under the API's body limit


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
            reason = support_reason(precision, cuda=ctx.device == "cuda", checkpoints=params["checkpoints"],
                                    compute_capability=compute_capability(ctx.capabilities))
            if params.get("compile") and ctx.device != "cuda":
                reason = reason or COMPILE_CPU_REASON
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
                         "quality_tokens": params["quality_tokens"], "compile": bool(params.get("compile"))},
            "precisions": entries}


# ---- child process side ------------------------------------------------------------------------------


class FirstTokenClock:
    """A generate() streamer that notes when the first new token reaches the host. generate() puts the prompt
    first, then each step's tokens as a CPU copy (transformers StopCheck: `streamer.put(tokens.cpu())`), and that
    copy waits for the device, so the second put marks the end of prefill (first forward pass and its sampling)."""

    def __init__(self) -> None:
        self.puts = 0
        self.first_token_at: float | None = None

    def put(self, value: Any) -> None:
        self.puts += 1
        if self.puts == 2:
            self.first_token_at = time.perf_counter()

    def end(self) -> None:
        pass


def split_generate(start: float, first_token_at: float | None, end: float) -> tuple[float, float]:
    """(prefill s, decode s) of one timed generate call; ValueError saying why when the run cannot be split."""
    if first_token_at is None:
        raise ValueError("generate streamed no first token, so its prefill cannot be told from its decode")
    prefill, decode = first_token_at - start, end - first_token_at
    if prefill <= 0 or decode <= 0:
        raise ValueError(f"timer gave a non-positive phase (prefill {prefill:.3g} s, decode {decode:.3g} s)")
    return prefill, decode


def decode_plan(compile_decode: bool, device: str, warmup: int) -> tuple[bool, dict[str, Any], int, dict[str, Any]]:
    """(compile requested, extra generate() kwargs, warm-up runs, what the backend and notes must say): the same
    for every precision of a job (params.compile)."""
    if not compile_decode or device != "cuda":
        return False, {}, warmup, {}
    said: dict[str, Any] = {"backend": ", decode steps torch.compile'd (static KV cache, mode reduce-overhead)"}
    if warmup < 1:
        said["notes"] = ["one warm-up run added: the first compiled run includes compilation"]
    return True, {"cache_implementation": "static"}, max(warmup, 1), said


def compiled_graphs() -> int:
    """Graphs torch.compile (dynamo) has compiled in this process so far."""
    from torch._dynamo.utils import counters

    return int(counters["stats"]["unique_graphs"])


def compile_evidence(model: Any, requested: bool, graphs_before_timed: int) -> dict[str, Any]:
    """What the run shows, not what was planned: transformers took its compiled decode path (it keeps the compiled
    call on the model) and dynamo compiled graphs; graphs compiled during the timed runs mean they timed
    compilation (a recompile)."""
    graphs = compiled_graphs()
    evidence = {"requested": requested, "compiled_call": hasattr(model, "_compiled_call"), "graphs": graphs,
                "graphs_in_timed_runs": graphs - graphs_before_timed}
    evidence["compiled"] = bool(requested and evidence["compiled_call"] and graphs > 0)
    return evidence


def quantized_share(model: Any) -> dict[str, Any]:
    """How much of the model's Linear weights (what a weight-only quantizer may touch) is stored quantized, by
    parameter count, and which Linear layers stayed in float (e.g. torchao int4 skips a layer whose in-features
    are not a multiple of its group size). Tied weights count once."""
    import torch

    seen: set[int] = set()
    quantized = total = 0
    left: dict[str, int] = {}
    for name, module in model.named_modules():
        if not hasattr(module, "in_features") or not hasattr(module, "out_features"):
            continue
        weight = getattr(module, "weight", None)
        key = id(weight) if weight is not None else id(module)
        if key in seen:
            continue
        seen.add(key)
        n = int(module.in_features) * int(module.out_features)
        total += n
        if weight is None or type(weight) not in (torch.Tensor, torch.nn.Parameter) \
                or getattr(weight, "is_quantized", False) or not weight.dtype.is_floating_point:
            quantized += n
        else:
            leaf = name.rsplit(".", 1)[-1]
            left[leaf] = left.get(leaf, 0) + 1
    return {"share": quantized / total if total else 0.0, "quantized_parameters": quantized,
            "linear_parameters": total, "float_layers": left}


def measure(spec: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """Measure one precision (runs in a fresh process; spec = lab params + precision, device, paths)."""
    import torch

    from gpu_runner.checkpoints.loading import load_model, load_tokenizer, pin_threads, warm_imports
    from gpu_runner.labs.texts import DEFAULT_PROMPT, QUALITY_TEXT, tokens_of_length
    from gpu_runner.measure import timing as m

    device, precision = spec["device"], spec["precision"]
    cuda = device == "cuda"
    threads = pin_threads()
    sync = m.synchronizer(device)
    report(0.0, "loading")
    tok = load_tokenizer(spec["model"])
    prompts = spec["prompts"] or [DEFAULT_PROMPT]
    input_ids = torch.tensor([tokens_of_length(tok.encode(p), spec["prompt_len"]) for p in prompts])
    quality_ids = torch.tensor([tokens_of_length(tok.encode(QUALITY_TEXT), spec["quality_tokens"])])
    warm_imports(spec["model"])
    rss_before = m.current_rss_bytes()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    load_s, (model, backend, notes) = m.timed(
        lambda: load_model(spec["model"], precision, device, spec.get("checkpoints") or {}), sync)
    load_peak = int(torch.cuda.max_memory_allocated()) if cuda else None
    if cuda:  # the peak a learner compares is the quantized model's, not the float model it was made from
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    dev = next(model.parameters()).device
    input_ids, quality_ids = input_ids.to(dev), quality_ids.to(dev)
    gen_len, batch = spec["gen_len"], input_ids.shape[0]
    compile_requested, extra, warmup, said = decode_plan(bool(spec.get("compile")), device, spec["warmup"])
    backend += said.get("backend", "")
    notes += said.get("notes", [])

    def generate(streamer: Any = None) -> Any:
        out = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), do_sample=False,
                             max_new_tokens=gen_len, min_new_tokens=gen_len, pad_token_id=tok.pad_token_id,
                             eos_token_id=tok.eos_token_id, streamer=streamer, **extra)
        if out.shape[1] != input_ids.shape[1] + gen_len:  # a short run would inflate tokens/s
            raise RuntimeError(f"generate made {out.shape[1] - input_ids.shape[1]} tokens, not {gen_len}")
        return out

    runs = warmup + spec["repeats"]
    with torch.inference_mode():
        for i in range(warmup):
            report(i / runs, "warm-up")
            generate()
        graphs_before_timed = compiled_graphs()
        sampler = _sampler(cuda)
        prefill, decode, total, refused = _timed_runs(
            generate, sync, spec["repeats"], lambda i: report((warmup + i) / runs, "timed runs"))
        telemetry = sampler.stop() if sampler else None
        memory = _memory(device, rss_before, load_peak)
        if not decode:
            raise RuntimeError("every timed run was refused: " + "; ".join(refused))
        report(0.97, "quality")
        quality = _quality(model, quality_ids, spec["is_reference"], spec["reference_logprobs"])
    notes += [f"refused {r}" for r in refused]
    compiled = compile_evidence(model, compile_requested, graphs_before_timed)
    if compile_requested and not compiled["compiled"]:
        notes.append("compile was requested but the run shows no compiled decode (transformers declines to compile "
                     "some models, e.g. bitsandbytes-quantized ones): these figures are eager")
    share = quantized_share(model)
    if precision not in FLOAT_PRECISIONS and share["float_layers"]:
        notes.append(f"{share['share']:.0%} of the Linear weights are quantized; left in float: "
                     + ", ".join(f"{k} x{v}" for k, v in sorted(share["float_layers"].items())))
        backend += f"; {share['share']:.0%} of Linear weights quantized"
    steps = gen_len - 1
    tps_runs = [batch * steps / d for d in decode]
    decode_stats = m.summarize(decode)
    result: dict[str, Any] = {
        "precision": precision, "status": "ok", "backend": backend, "weight_bytes": m.weight_bytes(model),
        "load_s": load_s, "memory": memory, "compiled": compiled["compiled"], "compile": compiled,
        "quantized_weight_share": share["share"], "quantized": share,
        "prefill_latency_s": m.summarize(prefill), "generate_latency_s": m.summarize(total),
        "decode_latency_s": decode_stats, "decode_tokens_per_s": batch * steps / decode_stats["median"],
        "decode_tokens_per_s_cv": m.coefficient_of_variation(tps_runs), "decode_tokens_per_s_runs": tps_runs,
        "quality": quality, "decode_ceiling_tokens_per_s": None, "mbu": None, "notes": notes,
        "torch_threads": threads,
    }
    if cuda:
        from gpu_runner.measure.bandwidth import device_bandwidth
        from gpu_runner.measure.nvml import bytes_read_per_token, mbu

        bw = device_bandwidth()
        per_token = bytes_read_per_token(model)
        figures = mbu(result["decode_tokens_per_s"], per_token, bw["gb_per_s"], batch=batch)
        result.update(figures, bytes_read_per_token=per_token, device_bandwidth=bw, telemetry=telemetry)
    report(1.0, "done")
    return result


def _timed_runs(generate: Callable[[Any], Any], sync: Callable[[], None], repeats: int,
                progress: Callable[[int], None]) -> tuple[list[float], list[float], list[float], list[str]]:
    """(prefill s, decode s, whole call s, refused-run reasons) of `repeats` timed generate calls."""
    prefill, decode, total, refused = [], [], [], []
    for i in range(repeats):
        progress(i)
        clock = FirstTokenClock()
        sync()
        start = time.perf_counter()
        generate(clock)
        sync()
        end = time.perf_counter()
        try:
            p, d = split_generate(start, clock.first_token_at, end)
        except ValueError as exc:
            refused.append(f"run {i + 1}: {exc}")
            continue
        prefill.append(p)
        decode.append(d)
        total.append(end - start)
    return prefill, decode, total, refused


def _sampler(cuda: bool) -> Any:
    """NVML sampling through the timed runs on CUDA (its result, series included, goes under "telemetry")."""
    if not cuda:
        return None
    from gpu_runner.measure.nvml import GpuSampler

    return GpuSampler(interval_ms=TELEMETRY_INTERVAL_MS, max_samples=TELEMETRY_MAX_SAMPLES).start()


def _memory(device: str, rss_before: int, load_peak: int | None) -> dict[str, int | None]:
    from gpu_runner.measure import timing as m

    mem: dict[str, int | None] = {"peak_rss_bytes": m.peak_rss_bytes(), "rss_before_load_bytes": rss_before,
                                  "cuda_max_allocated_bytes": None, "cuda_max_reserved_bytes": None,
                                  "cuda_load_max_allocated_bytes": load_peak}
    if device == "cuda":
        import torch

        mem["cuda_max_allocated_bytes"] = int(torch.cuda.max_memory_allocated())
        mem["cuda_max_reserved_bytes"] = int(torch.cuda.max_memory_reserved())
    return mem


def chunked_logprobs(model: Any, ids: Any, chunk: int = QUALITY_CHUNK_TOKENS) -> Any:
    """log_softmax of the next-token logits at every position but the last, [positions, vocab] fp32 on the CPU,
    computing the output head `chunk` positions at a time (one full-vocabulary logits tensor for 512 positions of
    Qwen's 152k vocabulary is 311 MB in fp32)."""
    import torch

    hidden = model.get_decoder()(input_ids=ids).last_hidden_state[0, :-1]
    head = model.get_output_embeddings()
    cap = getattr(model.config, "final_logit_softcapping", None)
    parts = []
    for i in range(0, hidden.shape[0], chunk):
        logits = head(hidden[i:i + chunk]).float()
        if cap:
            logits = torch.tanh(logits / cap) * cap
        parts.append(torch.log_softmax(logits, dim=-1).cpu())
    return torch.cat(parts)


def _quality(model: Any, ids: Any, is_reference: bool, ref_path: str) -> dict[str, float | None]:
    """Next-token agreement, mean KL(reference || this) and perplexity on the fixed text."""
    import numpy as np
    import torch

    logprobs = chunked_logprobs(model, ids)
    targets = ids[0, 1:].cpu()
    nll = -logprobs.gather(1, targets[:, None]).squeeze(1)
    perplexity = float(torch.exp(nll.double().mean()))
    if is_reference:  # saved, then compared with itself like any other precision: a check on the pipeline
        np.save(ref_path, logprobs.numpy())
    if not os.path.exists(ref_path):  # the reference run failed: no comparison to make
        return {"top1_agreement": None, "mean_kl": None, "perplexity": perplexity, "reference_perplexity": None}
    ref = torch.from_numpy(np.load(ref_path)).double()
    mine = logprobs.double()
    agreement = float((ref.argmax(-1) == mine.argmax(-1)).double().mean())
    kl = float((ref.exp() * (ref - mine)).sum(-1).mean())
    ref_ppl = float(torch.exp(-ref.gather(1, targets[:, None]).mean()))
    return {"top1_agreement": agreement, "mean_kl": kl, "perplexity": perplexity,
            "reference_perplexity": ref_ppl}
