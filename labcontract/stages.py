"""The runner's stage and reason vocabulary: what gpu_runner sends as a job's `stage` and as an unsupported
configuration's `reason` is a sequence of codes with parameters written as English text, parts joined by ": "
(e.g. "fp32 (1/3): timed runs", "transformers: level 2/3"). Each part matches one pattern here; the site
(labs/stages.py) translates each by its code and shows a part it does not know as the runner wrote it (older
runners, free text). tests/test_lab_stages.py keeps every stage the runner's code writes in this vocabulary."""

from __future__ import annotations

import re

# code -> a full match of one part; named groups are the parameters
STAGES: dict[str, str] = {
    "config": r"(?P<name>[^:()]+) \((?P<i>\d+)/(?P<n>\d+)\)",
    "loading": r"loading",
    "warm-up": r"warm-up",
    "timed-runs": r"timed runs",
    "quality": r"quality",
    "done": r"done",
    "data": r"data",
    "eval-before": r"evaluating before training",
    "training": r"training",
    "eval-after": r"evaluating after training",
    "saving-adapter": r"saving the adapter",
    "step": r"step (?P<i>\d+)/(?P<n>\d+), loss (?P<loss>[0-9.]+|nan|inf)",
    "tokens": r"(?P<n>\d+) tokens",
    "starting-server": r"starting the server",
    "level": r"level (?P<i>\d+)/(?P<n>\d+)",
    "run": r"run (?P<i>\d+)/(?P<n>\d+)",
    "model": r"model",
    "prompts": r"prompts",
    "unpacking": r"unpacking source",
    "compile-check": r"compiling and checking in the sandbox",
    "compiling": r"compiling in the sandbox",
    "harness": r"building the harness",
    "copy-bandwidth": r"copy bandwidth",
    "preparing": r"preparing the model and prompts",
    "library-baseline": r"library baseline",
    "library-roof": r"library gemm roof",
    "library-size": r"library (?P<problem>gemm|softmax) (?P<size>[0-9x]+)",
    "size": r"(?P<problem>gemm|softmax) (?P<size>[0-9x]+)",
    "running-checking": r"running and checking",
    "kv-cache": r"KV cache",
    "evaluation-texts": r"evaluation texts",
    "reference-logits": r"reference logits",
    "tracing-decode": r"tracing the decode step with its cache \(torch\.export\)",
    "graph": r"(?P<precision>[a-z0-9-]+) graph",
    "engine": r"(?P<name>[a-z0-9][a-z0-9-]*)",  # an engine or precision name before its own stage
}

# code -> a full match of an unsupported configuration's reason
REASONS: dict[str, str] = {
    "vllm-needs-cuda": r"vLLM's (?P<what>engine|server) runs on a CUDA GPU; this job runs on the CPU",
    "nf4-needs-cuda": r"bitsandbytes NF4 runs on CUDA devices; this runner has none",
    "checkpoint-needs-cuda": r"(?P<format>GPTQ|AWQ) checkpoints run on gptqmodel's CUDA kernels; "
                             r"this runner has no CUDA device",
    "qlora-gptq-needs-cuda": r"Q-LoRA on a GPTQ Int4 checkpoint needs a CUDA device \(GPTQ kernels\); "
                             r"this job runs on the CPU",
    "no-vllm": r"vLLM is not installed on this runner \(it needs a CUDA GPU.*",
}

_STAGES = [(code, re.compile(pattern)) for code, pattern in STAGES.items()]
_REASONS = [(code, re.compile(pattern)) for code, pattern in REASONS.items()]


def parse_stage(text: str) -> list[tuple[str | None, dict[str, str] | str]]:
    """[(code, parameters)] per part; (None, the part's text) for a part outside the vocabulary."""
    parts = []
    for part in (text or "").split(": "):
        for code, pattern in _STAGES:
            if match := pattern.fullmatch(part):
                parts.append((code, match.groupdict()))
                break
        else:
            parts.append((None, part))
    return parts


def parse_reason(text: str) -> tuple[str | None, dict[str, str]]:
    for code, pattern in _REASONS:
        if match := pattern.fullmatch(text or ""):
            return code, match.groupdict()
    return None, {}
