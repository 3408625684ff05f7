"""Benchmark of the GPU runner's labs against baselines measured in the same run.

decode_fidelity_ratio: fp32 decode tokens/s that the quant-inference lab reports for the fixture model,
over the tokens/s of a plain transformers generate() script on the same model and settings (each in a fresh
process; one of each per round, the ratio is the median of the per-round ratios).
decode_cv: coefficient of variation of the lab's figure across rounds.
tokenizer_parity / tokenizer_speed_ratio: tokenizer_check on the project's reference C++ tokenizer
(exact-match rate over the corpus; its encode MB/s over tiktoken's).

    python bench/labs.py [--json] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script from anywhere: the runner's packages live at the repository root (imported in functions).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


SETTINGS = {"prompt_len": 32, "gen_len": 32, "repeats": 5, "warmup": 1}


def direct_decode(spec: dict[str, Any], report: Callable[[float, str], None]) -> float:
    """Baseline, run in a fresh process: what a careful hand-written generate() timing script reports."""
    import torch
    from transformers import AutoModelForCausalLM

    from gpu_runner.fixture import FixtureTokenizer, fixture_dir
    from gpu_runner.labs.texts import DEFAULT_PROMPT, tokens_of_length

    tok = FixtureTokenizer()
    model = AutoModelForCausalLM.from_pretrained(fixture_dir(), dtype=torch.float32).eval()
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


def lab_decode() -> float:
    import labcontract
    from gpu_runner.labs import LabContext
    from gpu_runner.labs.quant_inference import run as run_quant_lab

    params = labcontract.lab_params_with_defaults("quant-inference", {"precisions": ["fp32"], **SETTINGS})
    result = run_quant_lab(params, LabContext(device="cpu", capabilities={}))
    entry = result["precisions"][0]
    if entry["status"] != "ok":
        raise RuntimeError(f"quant lab did not measure fp32: {entry}")
    return entry["decode_tokens_per_s"]


def tokenizer_figures() -> dict[str, Any]:
    try:
        from gpu_runner import tokenizer_check
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


def measure(rounds: int) -> dict[str, Any]:
    from gpu_runner.capabilities import probe
    from gpu_runner.fresh_process import run_in_fresh_process
    from gpu_runner.measurement import coefficient_of_variation

    lab, direct = [], []
    for _ in range(rounds):
        lab.append(lab_decode())
        direct.append(run_in_fresh_process("bench.labs:direct_decode", SETTINGS))
    caps = probe(check_vllm=False)
    out = {
        # Paired by round: the two runs of a round share the machine's load, so their ratio is steadier.
        "decode_fidelity_ratio": statistics.median(a / b for a, b in zip(lab, direct, strict=True)),
        "decode_cv": coefficient_of_variation(lab),
        "decode_tokens_per_s_lab": lab,
        "decode_tokens_per_s_direct": direct,
        "direct_cv": coefficient_of_variation(direct),
        **tokenizer_figures(),
        "settings": {**SETTINGS, "model": "fixture (Qwen2 arch, 8.0 M params, fp32)", "rounds": rounds},
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
        ("tokenizer_parity (exact documents)", str(r["tokenizer_parity"])),
        ("tokenizer_speed_ratio (C++ / tiktoken MB/s)", str(r["tokenizer_speed_ratio"])),
    ]
    if r.get("tokenizer_reason"):
        rows.append(("tokenizer note", r["tokenizer_reason"]))
    width = max(len(a) for a, _ in rows)
    for a, b in rows:
        print(f"  {a:<{width}}  {b}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    result = measure(args.rounds)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
