"""finetune_step_fidelity: the seconds per optimizer step the fine-tuning lab reports, over those of a direct
peft training script on the same model, settings and batches, measured in the same run (goal 0.95-1.05).

Method: rounds of A B B A (A = the lab end to end, B = the direct script), each in its own fresh process with
the same torch thread count; the direct script shares only the data preparation with the lab (tokenised,
collated batches), and its loop is the plain peft recipe: get_peft_model, AdamW over the adapter,
grad_accum backward passes, step, zero_grad. Both report the median s/step over steps after the first; the
figure is the median over adjacent pairs (A1 B1, B2 A2) of lab s/step / direct s/step: the two runs of a pair
share the machine's load, so on a busy machine their ratio is steadier than a ratio of medians.
`python bench/finetune_fidelity.py [--model M]` prints JSON; bench/labs.py can call measure().
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SETTINGS = {"steps": 6, "seq_len": 512, "batch_size": 2, "grad_accum": 2, "rank": 8, "alpha": 16, "dropout": 0.05,
            "lr": 2e-4, "lr_scheduler": "constant", "eval_examples": 1, "eval_max_new_tokens": 8}


def default_model() -> str:
    """The real small model when its package is installed, else the fixture."""
    from gpu_runner.checkpoints import smollm

    try:
        smollm.gguf_path()
        return smollm.SMOLLM_NAME
    except Exception:  # noqa: BLE001 - any reason the package is unusable means: fall back to the fixture
        return "fixture"


def lab_params(model: str) -> dict[str, Any]:
    from labcontract.labs.finetune import FINETUNE_PARAMS

    params = {k: v["default"] for k, v in FINETUNE_PARAMS["properties"].items() if "default" in v}
    return {**params, **SETTINGS, "model": model}


def direct(spec: dict[str, Any], report: Any) -> dict[str, Any]:
    """The baseline: a direct peft loop over the same batches (runs in a fresh process)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from gpu_runner.checkpoints.loading import load_tokenizer, model_path, pin_threads
    from gpu_runner.labs import finetune

    threads = pin_threads()
    torch.manual_seed(spec["seed"])
    chat = finetune.ChatFormat(load_tokenizer(spec["model"]))
    train_ex, _, _ = finetune.load_examples(spec)
    train = [e for e in (chat.encode(x, spec["seq_len"]) for x in train_ex) if any(t != -100 for t in e[1])]
    steps, accum = spec["steps"], spec["grad_accum"]
    batches = [finetune.collate([train[i] for i in b], chat.tok.pad_token_id, None, torch.device("cpu"))
               for b in finetune.micro_batches(len(train), spec["batch_size"], steps * accum, spec["seed"])]
    model = AutoModelForCausalLM.from_pretrained(model_path(spec["model"]), dtype=torch.float32)
    model.config.use_cache = False
    model = get_peft_model(model, LoraConfig(r=spec["rank"], lora_alpha=spec["alpha"], lora_dropout=spec["dropout"],
                                             target_modules="all-linear", task_type="CAUSAL_LM"))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=spec["lr"])
    model.train()
    seconds = []
    for step in range(steps):
        start = time.perf_counter()
        for batch in batches[step * accum:(step + 1) * accum]:
            loss = model(**batch).loss
            (loss / accum).backward()
            float(loss.detach())
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        seconds.append(time.perf_counter() - start)
    return {"step_seconds": seconds, "s_per_step": statistics.median(seconds[1:]), "torch_threads": threads}


def measure(model: str | None = None, rounds: int = 1) -> dict[str, Any]:
    from gpu_runner.checkpoints.loading import THREADS_ENV
    from gpu_runner.labs import LabContext, finetune
    from gpu_runner.process.fresh import run_in_fresh_process

    model = model or default_model()
    os.environ.setdefault(THREADS_ENV, str(os.cpu_count() or 1))  # the same pinned count in every child
    params = lab_params(model)
    ctx = LabContext(device="cpu", capabilities={}, child_timeout_s=3600)
    lab_runs, direct_runs = [], []
    for _ in range(rounds):
        for kind in ("lab", "direct", "direct", "lab"):
            if kind == "lab":
                out = finetune.run(params, ctx)
                if out["status"] != "ok":
                    raise RuntimeError(f"the lab did not run: {out.get('reason') or out.get('error')}")
                lab_runs.append(out["s_per_step"])
            else:
                spec = {**params, "device": "cpu"}
                direct_runs.append(run_in_fresh_process("bench.finetune_fidelity:direct", spec,
                                                        timeout_s=3600)["s_per_step"])
    lab_s, direct_s = statistics.median(lab_runs), statistics.median(direct_runs)
    pair_ratios = [a / b for a, b in zip(lab_runs, direct_runs, strict=True)]  # A1-B1, A2-B2: adjacent runs
    return {"finetune_step_fidelity": statistics.median(pair_ratios), "pair_ratios": pair_ratios,
            "lab_s_per_step": lab_s, "direct_s_per_step": direct_s,
            "lab_runs_s_per_step": lab_runs, "direct_runs_s_per_step": direct_runs, "model": model,
            "settings": SETTINGS, "torch_threads": os.environ[THREADS_ENV],
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
            "method": "A B B A rounds (A = fine-tuning lab, B = direct peft loop), fresh process each, "
                      "median s/step over steps after the first; figure = median over adjacent A-B pairs of "
                      "lab / direct (goal 0.95-1.05)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model ref (default: smollm2-135m when installed, else fixture)")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(measure(args.model, args.rounds), indent=2))


if __name__ == "__main__":
    main()
