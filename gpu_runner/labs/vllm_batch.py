"""Batching lab: one seeded prompt set served three ways — one request at a time, padded static batches,
and vLLM's continuous batching — each engine in a fresh process, measured as vLLM's benchmarks define it.

All requests arrive at time 0 (offline throughput). duration = time until the last request finishes;
requests/s = N / duration; output tokens/s = useful output tokens / duration; total tokens/s adds prompt
tokens. A request's latency is the time from the start until its output is complete (for static batching,
its batch's end). EOS is ignored so every request produces exactly its output length.
"""

from __future__ import annotations

import importlib.util
import random
import time
from collections.abc import Callable
from typing import Any

import labcontract
from gpu_runner.errors import Unsupported
from gpu_runner.labs import LabContext

TARGET = "gpu_runner.labs.vllm_batch:measure"
NO_VLLM_REASON = "vLLM is not installed on this runner (it needs a CUDA GPU; see gpu_runner/requirements-cuda.txt)"


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
    engines = [e for e in labcontract.VLLM_BATCH_ENGINES if e in params["engines"]]
    entries: list[dict[str, Any]] = []
    workload = None
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
    baseline = next((e for e in entries if e["engine"] == "hf-sequential" and e["status"] == "ok"), None)
    for e in entries:
        if e["status"] == "ok":
            e["speedup_vs_sequential"] = (e["requests_per_s"] / baseline["requests_per_s"]) if baseline else None
    ctx.report(100, "done")
    return {"lab": "vllm-batch", "model": params["model"], "device": ctx.device, "dtype": dtype,
            "workload": workload, "engines": entries}


# ---- child process side ------------------------------------------------------------------------------


def measure(spec: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """Serve the workload with one engine (runs in a fresh process); repeats keep the median run."""
    from gpu_runner import fixture
    from gpu_runner.models import load_tokenizer

    report(0.0, "loading")
    tok = load_tokenizer(spec["model"])
    if spec["model"] == fixture.FIXTURE_NAME:
        vocab, specials = fixture.FIXTURE_RANKS, set()
    else:
        vocab = len(tok.tok)  # type: ignore[attr-defined]
        specials = set(tok.tok.all_special_ids)  # type: ignore[attr-defined]
    workload = make_workload(spec, vocab, specials)
    serve = _vllm_engine(spec, workload) if spec["engine"] == "vllm" else _hf_engine(spec, workload, tok)
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
            "workload": {"num_prompts": len(workload), "prompt_tokens": prompt_tokens,
                         "output_tokens": output_tokens, "seed": spec["seed"],
                         "static_batch_size": spec["static_batch_size"]}}


Serve = Callable[[Callable[[float], None]], dict[str, Any]]


def _hf_engine(spec: dict[str, Any], workload: list[dict[str, Any]], tok: Any) -> Serve:
    import torch
    from transformers import AutoModelForCausalLM

    from gpu_runner.measurement import synchronizer
    from gpu_runner.models import model_path, torch_dtype

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


def _vllm_engine(spec: dict[str, Any], workload: list[dict[str, Any]]) -> Serve:
    try:
        import vllm
        from vllm import LLM, SamplingParams
    except ImportError as exc:
        raise Unsupported(f"vLLM does not import on this runner: {exc}") from None
    from gpu_runner.models import model_path

    dtype = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}[spec["dtype"]]
    # Token ids go in directly, so vLLM needs no tokenizer (the fixture has none in HF format).
    llm = LLM(model=str(model_path(spec["model"])), dtype=dtype, seed=spec["seed"], skip_tokenizer_init=True,
              gpu_memory_utilization=0.85, max_model_len=max(len(w["prompt"]) + w["output_len"] for w in workload))
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
                "backend": f"vLLM {vllm.__version__} continuous batching (PagedAttention), {spec['dtype']}"}

    return serve
