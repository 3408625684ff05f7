"""Batching lab: one seeded prompt set served four ways — one request at a time, padded static batches,
transformers' continuous batching (paged KV cache, runs on CPU), and vLLM's continuous batching (CUDA) —
each engine in a fresh process, measured as vLLM's benchmarks define it.

All requests arrive at time 0 (offline throughput). duration = time until the last request finishes;
requests/s = N / duration; output tokens/s = useful output tokens / duration; total tokens/s adds prompt
tokens. A request's latency is the time from the start until its output is complete (for static batching,
its batch's end). EOS is ignored so every request produces exactly its output length. Static batching runs
every row of a batch to the batch's longest output: the extra tokens are generated_tokens - output_tokens
(wasted_token_fraction). Continuous batching refills a finished request's slot at the next step; it gets
the same number of slots as a static batch (static_batch_size), so the comparison isolates that waste.
"""

from __future__ import annotations

import importlib.util
import random
import time
from collections.abc import Callable
from typing import Any

from gpu_runner.checkpoints.loading import describe_model, prepare_model
from gpu_runner.errors import Unsupported
from gpu_runner.labs import LabContext
from labcontract.labs import vllm_batch as vllm_batch_contract

TARGET = "gpu_runner.labs.vllm_batch:measure"
NO_VLLM_REASON = ("vLLM is not installed on this runner (it needs a CUDA GPU and its own virtualenv: "
                  "gpu_runner/requirements-cuda-vllm.txt)")
HF_ENGINES = ("hf-sequential", "hf-static-batch")
CONTINUOUS = "hf-continuous-batching"
# Attention for transformers' paged cache: "sdpa" reads it through PyTorch SDPA (CPU and CUDA); the manager
# switches to flash attention by itself on a GPU that has it installed. Measured working here on CPU:
# "sdpa", "eager" (becomes "paged|eager"), "paged|eager".
CONTINUOUS_ATTENTION = "sdpa"
CONTINUOUS_PAGE_TOKENS = 64


def make_workload(params: dict[str, Any], vocab_size: int, special_ids: set[int]) -> list[dict[str, Any]]:
    """N requests of prompt token ids and output lengths from a seeded generator (vLLM's random dataset)."""
    rng = random.Random(params["seed"])
    lo, hi = sorted((params["prompt_len_min"], params["prompt_len_max"]))
    out_lo = params["output_len"]
    out_hi = params["output_len_max"] if params["output_len_max"] is not None else out_lo
    out_lo, out_hi = sorted((out_lo, out_hi))
    allowed = [i for i in range(vocab_size) if i not in special_ids]
    return [{"prompt": [rng.choice(allowed) for _ in range(rng.randint(lo, hi))],
             "output_len": rng.randint(out_lo, out_hi)} for _ in range(params["num_prompts"])]


def engine_reason(engine: str, device: str) -> str | None:
    if engine != "vllm":
        return None
    if device != "cuda":
        return "vLLM's engine runs on a CUDA GPU; this job runs on the CPU"
    if importlib.util.find_spec("vllm") is None:
        return NO_VLLM_REASON
    return None


def run(params: dict[str, Any], ctx: LabContext) -> dict[str, Any]:
    dtype = params["dtype"] if params["dtype"] != "auto" else ("bf16" if ctx.device == "cuda" else "fp32")
    engines = [e for e in vllm_batch_contract.VLLM_BATCH_ENGINES if e in params["engines"]]
    entries: list[dict[str, Any]] = []
    workload = None
    prepare_model(ctx, params["model"])
    for i, engine in enumerate(engines):
        reason = engine_reason(engine, ctx.device)
        if reason:
            entries.append({"engine": engine, "status": "unsupported", "reason": reason})
            continue
        spec = {**params, "engine": engine, "device": ctx.device, "dtype": dtype}
        out = ctx.measure(TARGET, spec, key="engine", name=engine, index=i, total=len(engines))
        if out.get("status") != "ok":
            entries.append(out)
            continue
        workload = out.pop("workload")
        entries.append(out)
    ok = {e["engine"]: e for e in entries if e["status"] == "ok"}
    for e in ok.values():
        for key, base in (("speedup_vs_sequential", "hf-sequential"), ("speedup_vs_static", "hf-static-batch")):
            e[key] = e["requests_per_s"] / ok[base]["requests_per_s"] if base in ok else None
    ctx.report(100, "done")
    return {"lab": "vllm-batch", "model": params["model"], "model_info": describe_model(params["model"]),
            "device": ctx.device, "dtype": dtype, "workload": workload, "engines": entries,
            "continuous_vs_static": _continuous_vs_static(ok), "notes": _notes(params)}


def _continuous_vs_static(ok: dict[str, dict[str, Any]]) -> dict[str, float] | None:
    """What continuous batching recovers of static batching's padding, when both ran."""
    static, cb = ok.get("hf-static-batch"), ok.get(CONTINUOUS)
    if not static or not cb:
        return None
    return {"output_tokens_per_s_ratio": cb["output_tokens_per_s"] / static["output_tokens_per_s"],
            "static_wasted_token_fraction": static["wasted_token_fraction"],
            "continuous_wasted_token_fraction": cb["wasted_token_fraction"]}


def _notes(params: dict[str, Any]) -> list[str]:
    if params["output_len_max"] is None or params["output_len_max"] == params["output_len"]:
        return ["every request has the same output length, so static batching pads no outputs; set "
                "output_len_max above output_len to see the waste continuous batching avoids"]
    return []


# ---- child process side ------------------------------------------------------------------------------


def measure(spec: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """Serve the workload with one engine (runs in a fresh process); repeats keep the median run."""
    from gpu_runner.checkpoints import fixture
    from gpu_runner.checkpoints.loading import load_tokenizer, pin_threads

    report(0.0, "loading")
    tok = load_tokenizer(spec["model"])
    if spec["model"] == fixture.FIXTURE_NAME:
        vocab, specials = fixture.FIXTURE_RANKS, set()
    else:
        vocab = len(tok.tok)  # type: ignore[attr-defined]
        specials = set(tok.tok.all_special_ids)  # type: ignore[attr-defined]
    workload = make_workload(spec, vocab, specials)
    threads = pin_threads()
    if spec["engine"] == "vllm":
        serve = _vllm_engine(spec, workload)
    elif spec["engine"] == CONTINUOUS:
        serve = _hf_continuous_engine(spec, workload, tok)
    else:
        serve = _hf_engine(spec, workload, tok)
    runs = []
    for r in range(spec["repeats"]):
        runs.append(serve(lambda f, r=r: report((r + f) / spec["repeats"], f"run {r + 1}/{spec['repeats']}")))
    runs.sort(key=lambda x: x["duration_s"])
    best = runs[len(runs) // 2]
    prompt_tokens = sum(len(w["prompt"]) for w in workload)
    output_tokens = sum(w["output_len"] for w in workload)
    duration = best["duration_s"]
    lat = sorted(best["latencies"])
    import numpy as np

    return {"engine": spec["engine"], "status": "ok", "backend": best["backend"], "duration_s": duration,
            "requests_per_s": len(workload) / duration, "output_tokens_per_s": output_tokens / duration,
            "total_tokens_per_s": (prompt_tokens + output_tokens) / duration,
            "latency_s": {"mean": float(np.mean(lat)), "p50": float(np.percentile(lat, 50)),
                          "p99": float(np.percentile(lat, 99))} if lat else None,
            "generated_tokens": best["generated_tokens"],
            "wasted_token_fraction": 1 - output_tokens / best["generated_tokens"],
            "run_durations_s": [x["duration_s"] for x in runs], "notes": best.get("notes", []),
            "torch_threads": threads, **({"vllm_settings": best["vllm_settings"]} if "vllm_settings" in best else {}),
            "workload": {"num_prompts": len(workload), "prompt_tokens": prompt_tokens,
                         "output_tokens": output_tokens, "seed": spec["seed"],
                         "static_batch_size": spec["static_batch_size"]}}


Serve = Callable[[Callable[[float], None]], dict[str, Any]]


def _hf_engine(spec: dict[str, Any], workload: list[dict[str, Any]], tok: Any) -> Serve:
    import torch
    from transformers import AutoModelForCausalLM

    from gpu_runner.checkpoints.loading import model_path, torch_dtype
    from gpu_runner.measure.timing import synchronizer

    device = spec["device"]
    model = AutoModelForCausalLM.from_pretrained(model_path(spec["model"]), dtype=torch_dtype(spec["dtype"]))
    model = model.to(device).eval()
    sync = synchronizer(device)
    pad = tok.pad_token_id
    size = 1 if spec["engine"] == "hf-sequential" else spec["static_batch_size"]
    batches = [workload[i:i + size] for i in range(0, len(workload), size)]

    def generate(batch: list[dict[str, Any]]) -> int:
        width = max(len(w["prompt"]) for w in batch)
        new = max(w["output_len"] for w in batch)  # static batching: everyone runs to the longest output
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, w in enumerate(batch):  # left padding, so every row's next token sits at the end
            ids[row, width - len(w["prompt"]):] = torch.tensor(w["prompt"])
            mask[row, width - len(w["prompt"]):] = 1
        out = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), do_sample=False,
                             max_new_tokens=new, min_new_tokens=new, pad_token_id=pad, eos_token_id=tok.eos_token_id)
        if out.shape[1] != width + new:
            raise RuntimeError(f"generate made {out.shape[1] - width} tokens, not {new}")
        return len(batch) * new

    with torch.inference_mode():
        generate(batches[0][:size])  # warm-up, untimed

    def serve(progress: Callable[[float], None]) -> dict[str, Any]:
        latencies: list[float] = []
        generated = 0
        with torch.inference_mode():
            sync()
            start = time.perf_counter()
            for b, batch in enumerate(batches):
                progress(b / len(batches))
                generated += generate(batch)
                sync()
                latencies += [time.perf_counter() - start] * len(batch)
        return {"duration_s": latencies[-1], "latencies": latencies, "generated_tokens": generated,
                "backend": f"transformers generate, batch {size}, {spec['dtype']} on {device}"}

    return serve


def _hf_continuous_engine(spec: dict[str, Any], workload: list[dict[str, Any]], tok: Any) -> Serve:
    """transformers' ContinuousBatchingManager: requests join and leave the running batch at every step."""
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, ContinuousBatchingConfig, GenerationConfig

    from gpu_runner.checkpoints.loading import model_path, torch_dtype

    device, slots = spec["device"], spec["static_batch_size"]
    model = AutoModelForCausalLM.from_pretrained(model_path(spec["model"]), dtype=torch_dtype(spec["dtype"]),
                                                 attn_implementation=CONTINUOUS_ATTENTION).to(device).eval()
    longest = max(len(w["prompt"]) + w["output_len"] for w in workload)
    pages_per_request = -(-longest // CONTINUOUS_PAGE_TOKENS)
    prompts = sorted((len(w["prompt"]) for w in workload), reverse=True)
    # Sized for the workload: room for `slots` requests at their longest (no preemption), one forward pass can
    # prefill a full set of slots like static batching does; no prefix sharing (random prompts share none, and
    # a repeat must not reuse the previous run's cache).
    cb_config = ContinuousBatchingConfig(
        **page_size_field(ContinuousBatchingConfig, CONTINUOUS_PAGE_TOKENS), num_blocks=slots * pages_per_request + 1,
        max_batch_tokens=max(slots, sum(prompts[:slots])), max_requests_per_batch=slots,
        allow_block_sharing=False, seed=spec["seed"])
    gen_config = GenerationConfig(do_sample=False, max_new_tokens=max(w["output_len"] for w in workload),
                                  eos_token_id=-1, pad_token_id=tok.pad_token_id)
    attention: list[str] = []

    def serve_once(progress: Callable[[float], None], requests: list[dict[str, Any]]) -> dict[str, Any]:
        # no_grad, not inference_mode: transformers 5.17's generation thread runs outside inference mode (5.24
        # carries the caller's mode into it), and updating a cache made under inference_mode there is an error.
        with torch.no_grad():
            manager = model.init_continuous_batching(generation_config=gen_config, continuous_batching_config=cb_config)
            manager.warmup()  # dummy batches (CUDA graphs on a GPU), untimed
            attention[:] = [model.config._attn_implementation]
            manager.start()
            try:
                return _collect(manager, requests, progress)
            finally:
                manager.stop(block=True, timeout=60)
                manager.destroy()

    serve_once(lambda f: None, workload[:slots])  # warm-up, untimed

    def serve(progress: Callable[[float], None]) -> dict[str, Any]:
        out = serve_once(progress, workload)
        out["backend"] = (f"transformers {transformers.__version__} ContinuousBatchingManager, {slots} slots, "
                          f"paged KV cache ({CONTINUOUS_PAGE_TOKENS}-token pages, attention {attention[0]}), "
                          f"{spec['dtype']} on {device}")
        return out

    return serve


def page_size_field(config_class: Any, tokens: int) -> dict[str, int]:
    """The KV-cache page size keyword of this transformers' ContinuousBatchingConfig: `block_size` in 5.17 (a
    `page_size=` there is a TypeError), `page_size` in 5.20.2 (the vLLM runner's pin) and 5.24, which keep
    `block_size` only as a deprecated alias that warns. Read from the dataclass's fields, not a version number."""
    import dataclasses

    fields = {f.name for f in dataclasses.fields(config_class)}
    for name in ("page_size", "block_size"):
        if name in fields:
            return {name: tokens}
    raise Unsupported(f"this transformers' ContinuousBatchingConfig has neither page_size nor block_size "
                      f"(fields: {', '.join(sorted(fields))})")


def _collect(manager: Any, requests: list[dict[str, Any]], progress: Callable[[float], None]) -> dict[str, Any]:
    """Submit every request at once, then wait for each to finish; latency from the manager's own finish time."""
    start = time.perf_counter()
    for i, w in enumerate(requests):
        manager.add_request(w["prompt"], request_id=f"r{i}", max_new_tokens=w["output_len"], eos_token_id=-1)
    finished: dict[str, float] = {}
    generated = 0
    while len(finished) < len(requests):
        out = manager.get_result(timeout=1.0)
        if out is None:
            if not manager.is_running():
                raise RuntimeError(f"continuous batching stopped with {len(requests) - len(finished)} requests "
                                   f"unfinished: {manager.background_thread_status.fatal_error}")
            continue
        if not out.is_finished() or out.request_id in finished:
            continue
        if out.error:
            raise RuntimeError(f"continuous batching failed request {out.request_id}: {out.error}")
        wanted = requests[int(out.request_id[1:])]["output_len"]
        if len(out.generated_tokens) != wanted:  # a short request would inflate tokens/s
            raise RuntimeError(f"request {out.request_id} made {len(out.generated_tokens)} tokens, not {wanted}")
        end = out.lifespan[1] if out.lifespan[1] > 0 else time.perf_counter()
        finished[out.request_id] = end - start
        generated += wanted
        progress(len(finished) / len(requests))
    latencies = sorted(finished.values())
    return {"duration_s": latencies[-1], "latencies": latencies, "generated_tokens": generated}


def _vllm_engine(spec: dict[str, Any], workload: list[dict[str, Any]]) -> Serve:
    try:
        import vllm
        from vllm import LLM, SamplingParams
    except ImportError as exc:
        raise Unsupported(f"vLLM does not import on this runner: {exc}") from None
    from gpu_runner.checkpoints.loading import model_path
    from gpu_runner.measure import gpu_memory

    dtype = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}[spec["dtype"]]
    path = model_path(spec["model"])
    free, total = gpu_memory.free_memory()
    fraction = gpu_memory.choose_fraction(requested=spec.get("gpu_memory_utilization"), free=free, total=total,
                                          weight_bytes=gpu_memory.model_weight_bytes(path))
    # Token ids go in directly, so vLLM needs no tokenizer (the fixture has none in HF format). Prefix caching is
    # off: a repeat of the same prompts would otherwise reuse the first run's KV blocks and skip their prefill.
    llm = LLM(model=str(path), dtype=dtype, seed=spec["seed"], skip_tokenizer_init=True,
              gpu_memory_utilization=fraction, enable_prefix_caching=False,
              max_model_len=max(len(w["prompt"]) + w["output_len"] for w in workload))
    settings = {"gpu_memory_utilization": fraction, "requested": spec.get("gpu_memory_utilization"),
                "gpu_free_bytes_at_start": free, "gpu_total_bytes": total, "enable_prefix_caching": False}
    params = [SamplingParams(temperature=0.0, max_tokens=w["output_len"], min_tokens=w["output_len"], ignore_eos=True,
                             detokenize=False) for w in workload]
    prompts = [{"prompt_token_ids": w["prompt"]} for w in workload]
    llm.generate(prompts[:1], params[:1], use_tqdm=False)  # warm-up: CUDA graphs, allocator
    engine = llm.llm_engine

    def serve(progress: Callable[[float], None]) -> dict[str, Any]:
        # Step the engine ourselves to see when each request finishes (LLM.generate only returns at the end).
        finished: dict[str, float] = {}
        generated = 0
        start = time.perf_counter()
        for i, (prompt, sp) in enumerate(zip(prompts, params, strict=True)):
            engine.add_request(f"r{i}-{start}", prompt, sp)
        while engine.has_unfinished_requests():
            for out in engine.step():
                if out.finished and out.request_id not in finished:
                    finished[out.request_id] = time.perf_counter() - start
                    generated += len(out.outputs[0].token_ids)
                    progress(len(finished) / len(prompts))
        latencies = sorted(finished.values())
        return {"duration_s": latencies[-1], "latencies": latencies, "generated_tokens": generated,
                "backend": f"vLLM {vllm.__version__} continuous batching (PagedAttention), {spec['dtype']}, "
                           f"gpu_memory_utilization {fraction:.2f}, prefix caching off", "vllm_settings": settings}

    return serve
