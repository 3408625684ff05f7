"""Benchmark of the GPU runner's labs against baselines measured in the same run.

decode_fidelity_ratio: fp32 decode tokens/s that the quant-inference lab reports for the real default model
(SmolLM2-135M-Instruct), over the tokens/s of a plain transformers generate() script on the same model and
settings (each in a fresh process, torch threads pinned to the same count, warm-up untimed; one of each per
round, which goes first alternating; the ratio is the median of the per-round ratios).
decode_cv: coefficient of variation of the lab's figure across rounds.
cb_speedup: output tokens/s of transformers' continuous batching over static batching, same prompts with
varied output lengths, same slots, measured by the batch lab in this run.
static_speedup: requests/s of static batching over one request at a time (hf-sequential), same run (the
ratio tests/test_labs.py used to assert as "> 1", a flake on a busy machine; here it is measured, not asserted).
tokenizer_parity / tokenizer_speed_ratio: tokenizer_check on the project's reference C++ tokenizer
(exact-match rate over the corpus; its encode MB/s over tiktoken's).

    python bench/labs.py [--json] [--rounds 5] [--threads 1] [--model smollm2-135m]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script from anywhere: the runner's packages live at the repository root (imported in functions).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


SETTINGS = {"prompt_len": 32, "gen_len": 64, "repeats": 3, "warmup": 1}
# Continuous over static batching: outputs from 8 to 64 tokens, so static batches pad to their longest.
CB_WORKLOAD = {"num_prompts": 16, "prompt_len_min": 8, "prompt_len_max": 48, "output_len": 8, "output_len_max": 64,
               "static_batch_size": 8, "repeats": 3, "seed": 0}
# Figures other modules provide, merged into the output: key -> "module:function", function() -> dict that
# holds at least the key. Until a module exists its key is null and "<key>_reason" says why.
EXTERNAL_FIGURES = {
    "serving_client_error": "bench.serving_client:measure",
    "finetune_step_fidelity": "bench.finetune_fidelity:measure",
}


def direct_decode(spec: dict[str, Any], report: Callable[[float, str], None]) -> float:
    """Baseline, run in a fresh process: what a careful hand-written generate() timing script reports."""
    import torch
    from transformers import AutoModelForCausalLM

    from gpu_runner.checkpoints.loading import load_tokenizer, model_path
    from gpu_runner.labs.texts import DEFAULT_PROMPT, tokens_of_length

    torch.set_num_threads(spec["threads"])
    tok = load_tokenizer(spec["model"])
    model = AutoModelForCausalLM.from_pretrained(model_path(spec["model"]), dtype=torch.float32).eval()
    ids = torch.tensor([tokens_of_length(tok.encode(DEFAULT_PROMPT), spec["prompt_len"])])

    def gen(n: int) -> float:
        start = time.perf_counter()
        model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            do_sample=False,
            max_new_tokens=n,
            min_new_tokens=n,
            pad_token_id=tok.pad_token_id,
            eos_token_id=tok.eos_token_id,
        )
        return time.perf_counter() - start

    with torch.inference_mode():
        for _ in range(spec["warmup"]):
            gen(spec["gen_len"])
        prefill = statistics.median(gen(1) for _ in range(spec["repeats"]))
        total = statistics.median(gen(spec["gen_len"]) for _ in range(spec["repeats"]))
    return (spec["gen_len"] - 1) / (total - prefill)


def lab_decode(model: str) -> float:
    import labcontract
    from gpu_runner.labs import LabContext
    from gpu_runner.labs.quant_inference import run as run_quant_lab

    params = labcontract.lab_params_with_defaults("quant-inference", {"model": model, "precisions": ["fp32"],
                                                                      **SETTINGS})
    result = run_quant_lab(params, LabContext(device="cpu", capabilities={}))
    entry = result["precisions"][0]
    if entry["status"] != "ok":
        raise RuntimeError(f"quant lab did not measure fp32: {entry}")
    return entry["decode_tokens_per_s"]


def cb_figures(model: str) -> dict[str, Any]:
    """Static and continuous batching in one run of the batch lab (fresh process each, median of repeats)."""
    import labcontract
    from gpu_runner.labs import LabContext
    from gpu_runner.labs.vllm_batch import run as run_batch_lab

    params = labcontract.lab_params_with_defaults("vllm-batch", {
        "model": model, "engines": ["hf-sequential", "hf-static-batch", "hf-continuous-batching"], **CB_WORKLOAD})
    result = run_batch_lab(params, LabContext(device="cpu", capabilities={}))
    engines = {e["engine"]: e for e in result["engines"]}
    summary = result["continuous_vs_static"]
    static_speedup = (engines.get("hf-static-batch") or {}).get("speedup_vs_sequential")
    if summary is None:
        return {"cb_speedup": None, "static_speedup": static_speedup, "cb_reason": json.dumps(result["engines"])[:500]}
    return {"cb_speedup": summary["output_tokens_per_s_ratio"], "static_speedup": static_speedup,
            "cb_static_wasted_token_fraction": summary["static_wasted_token_fraction"],
            "cb_output_tokens_per_s": {k: e["output_tokens_per_s"] for k, e in engines.items()},
            "cb_run_durations_s": {k: e["run_durations_s"] for k, e in engines.items()},
            "cb_workload": result["workload"], "cb_reason": None}


def external_figures() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, target in EXTERNAL_FIGURES.items():
        module_name, func_name = target.split(":")
        try:
            func = getattr(importlib.import_module(module_name), func_name)
        except (ImportError, AttributeError) as exc:
            out.update({key: None, f"{key}_reason": f"{target} not available: {exc}"})
            continue
        out.update(func())
    return out


def tokenizer_figures() -> dict[str, Any]:
    try:
        from gpu_runner.labs.cpp_tokenizer import check as tokenizer_check
    except ImportError as exc:
        return {"tokenizer_parity": None, "tokenizer_speed_ratio": None, "tokenizer_reason": f"unavailable: {exc}"}
    report = tokenizer_check.check(tokenizer_check.reference_sources())
    if report.get("status") not in ("OK", "WA"):
        return {
            "tokenizer_parity": None,
            "tokenizer_speed_ratio": None,
            "tokenizer_reason": f"{report.get('status')}: {report.get('message', '')[:300]}",
        }
    throughput = report.get("throughput") or {}
    return {
        "tokenizer_parity": report["exact_match_rate"],
        "tokenizer_speed_ratio": throughput.get("ratio"),
        "tokenizer_documents": report["documents_total"],
        "tokenizer_throughput": throughput,
        "tokenizer_reason": None
        if throughput.get("ratio") is not None
        else "speed not measured: " + str(throughput.get("error", "a document mismatched")),
    }


def measure(rounds: int, threads: int, model: str) -> dict[str, Any]:
    from gpu_runner.checkpoints.loading import THREADS_ENV, describe_model, needs_preparation
    from gpu_runner.measure.timing import coefficient_of_variation
    from gpu_runner.process.fresh import run_in_fresh_process
    from gpu_runner.service.capabilities import probe

    os.environ[THREADS_ENV] = str(threads)  # the lab's measurement processes inherit it
    if needs_preparation(model):  # convert SmolLM2 once before anything is timed
        run_in_fresh_process("gpu_runner.checkpoints.smollm:prepare", {})
    lab, direct = [], []
    spec = {**SETTINGS, "threads": threads, "model": model}
    for i in range(rounds):
        # Alternate which runs first, so a load that drifts during a round does not favour one side.
        if i % 2:
            direct.append(run_in_fresh_process("bench.labs:direct_decode", spec))
        lab.append(lab_decode(model))
        if not i % 2:
            direct.append(run_in_fresh_process("bench.labs:direct_decode", spec))
    caps = probe(check_vllm=False)
    info = describe_model(model)
    out = {
        # Paired by round: the two runs of a round share the machine's load, so their ratio is steadier.
        "decode_fidelity_ratio": statistics.median(a / b for a, b in zip(lab, direct, strict=True)),
        "decode_cv": coefficient_of_variation(lab),
        "decode_tokens_per_s_lab": lab,
        "decode_tokens_per_s_direct": direct,
        "direct_cv": coefficient_of_variation(direct),
        **cb_figures(model),
        **tokenizer_figures(),
        **external_figures(),
        "settings": {**SETTINGS, "model": f"{info['name']} ({model}, {info['parameters']} params, fp32)",
                     "rounds": rounds, "torch_threads": threads, "cb_workload": CB_WORKLOAD},
        "machine": {
            "cpu": caps["cpu"],
            "ram_bytes": caps["ram_bytes"],
            "cuda_devices": caps["cuda_devices"],
            "versions": {k: caps["versions"].get(k) for k in ("python", "torch", "transformers", "g++")},
        },
    }
    return out


def print_table(r: dict[str, Any]) -> None:
    m = r["machine"]
    print(__doc__.split("\n\n")[0])
    print(
        f"\nmachine: {m['cpu']['model']}, {m['cpu']['cores']} cores, {m['ram_bytes'] / 2**30:.1f} GiB RAM, "
        f"{len(m['cuda_devices'])} CUDA devices; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    )
    print(f"settings: {r['settings']}\n")

    def fmt(xs: list[float]) -> str:
        return ", ".join(f"{x:.1f}" for x in xs)

    rows = [
        ("decode tok/s, quant lab (per round)", fmt(r["decode_tokens_per_s_lab"])),
        ("decode tok/s, direct generate() (per round)", fmt(r["decode_tokens_per_s_direct"])),
        ("decode_fidelity_ratio (median of per-round lab / direct)", f"{r['decode_fidelity_ratio']:.3f}"),
        ("decode_cv (lab, across rounds)", f"{r['decode_cv']:.3f}"),
        ("cb_speedup (continuous / static batching output tok/s)", _fmt(r["cb_speedup"])),
        ("static batching wasted token fraction", _fmt(r.get("cb_static_wasted_token_fraction"))),
        ("static_speedup (static batching / one at a time, req/s)", _fmt(r.get("static_speedup"))),
        ("tokenizer_parity (exact documents)", str(r["tokenizer_parity"])),
        ("tokenizer_speed_ratio (C++ / tiktoken MB/s)", str(r["tokenizer_speed_ratio"])),
    ]
    rows += [(key, _fmt(r[key]) if r[key] is not None else f"n/a ({r.get(key + '_reason')})")
             for key in EXTERNAL_FIGURES]
    for key in ("cb_reason", "tokenizer_reason"):
        if r.get(key):
            rows.append((key.replace("_reason", " note"), r[key]))
    width = max(len(a) for a, _ in rows)
    for a, b in rows:
        print(f"  {a:<{width}}  {b}")


def _fmt(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads for the lab and the baseline alike")
    p.add_argument("--model", default="smollm2-135m", help="model ref: smollm2-135m (default) or fixture")
    args = p.parse_args()
    result = measure(args.rounds, args.threads, args.model)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
