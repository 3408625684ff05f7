"""The runner's stage and reason vocabulary: what gpu_runner sends as a job's `stage` and as an unsupported
configuration's `reason` is a sequence of codes with parameters written as English text, parts joined by ": "
(e.g. "fp32 (1/3): timed runs", "transformers: level 2/3"). Each part matches one pattern here; the site
(labs/stages.py) translates each by its code and shows a part it does not know as the runner wrote it (older
runners, free text). tests/test_lab_stages.py keeps every stage the runner's code writes in this vocabulary.

NOTES are the sentences a runner adds to a result (result["notes"], a model's notes, a kernel check's message, a
fine-tune's backend) and FAILURES the errors the contract gives a result it fails (LabSpec.result_failure): the
same kind of codes, matched whole; a note outside the vocabulary (an older runner's) is shown as written."""

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

# code -> a full match of a note in a result; named groups are the parameters
NOTES: dict[str, str] = {
    "examples-truncated": r"(?P<n>\d+) examples were longer than seq_len (?P<seq_len>\d+) and were truncated",
    "examples-left-out": r"(?P<train>\d+) training and (?P<heldout>\d+) held-out examples had no assistant token "
                         r"within seq_len (?P<seq_len>\d+) and were left out",
    "nf4-parameter-count": r"peft counts each 4-bit weight byte as two parameters \(two values per byte\)",
    "gptq-adapter-unmergeable": r"an adapter trained on a GPTQ model cannot be merged into its Int4 weights",
    "lora-backend": r"peft LoRA on a (?P<dtype>[a-z0-9]+) base model \((?P<device>cpu|cuda)\)",
    "nf4-backend": r"peft LoRA on a bitsandbytes NF4 base model \(double quantization\)",
    "gptq-backend": r"peft LoRA on a GPTQ Int4 checkpoint \(fp16 compute\)",
    "nominal-trained-length": r"trained length (?P<n>\d+) is nominal, set by the job: the scaling formulas treat "
                              r"(?P=n) as the trained length, but the model was trained on (?P<real>\d+|None) tokens, "
                              r"so plain RoPE does not break down past (?P=n); the figures show what each scaling "
                              r"changes relative to it",
    "text-repeated": r"the evaluation text has (?P<n>\d+|None) tokens with this tokenizer; longer windows repeat it, "
                     r"which flatters perplexity \(the model can copy\)",
    "smollm2-gguf-quality": r"quality is measured relative to the Q4_1 GGUF source: this model's fp32 is the Q4_1 "
                            r"weights dequantized, so its perplexity is the 4-bit model's and int8/int4 are compared "
                            r"with that, not with the original bf16 SmolLM2 release",
    "gemma-gguf-quality": r"quality is measured relative to the Q4_K_M GGUF source: this model's fp32 is the Q4_K_M "
                          r"weights dequantized, not Google's bf16 Gemma 3 270M release",
    "gemma-terms": r"Gemma is provided under and subject to the Gemma Terms of Use \((?P<url>https://\S+)\)",
    "kernel-correct": r"every run of every size matched the reference",
    "kernel-wrong-answer": r"wrong answer at size (?P<size>[0-9x]+), run (?P<run>\d+): first bad element "
                           r"\[(?P<row>\d+)\]\[(?P<col>\d+)\] = (?P<got>\S+), expected (?P<expected>\S+) "
                           r"\(allowed error (?P<allowed>\S+)\)",
    "kernel-failed-at": r"(?P<status>[A-Z]+) at size (?P<size>[0-9x]+): (?P<message>.*)",
    # where a quant job's GPU bandwidth came from (gpu_runner.measure.bandwidth.device_bandwidth's "source")
    "bandwidth-measured": r"measured device-to-device copy",
    "bandwidth-published": r"published specification: (?P<doc>.+)",
}

# code -> a full match of a job's error set by the contract's result_failure
FAILURES: dict[str, str] = {
    "parity-failed": r"WA: (?P<bad>\d+) of (?P<total>\d+) documents do not match the reference tokenizer",
    "parity-failed-somewhere": r"WA: the token ids do not match the reference tokenizer on every document",
    "kernel-verdict-sizes": r"(?P<verdict>WA|RE|TLE): the kernel (?:gives wrong results|crashed|ran past its time "
                            r"limit) on (?P<bad>\d+) of (?P<total>\d+) sizes",
    "kernel-verdict": r"(?P<verdict>WA|RE|TLE): the kernel (?:gives wrong results|crashed|ran past its time limit)",
}

_STAGES = [(code, re.compile(pattern)) for code, pattern in STAGES.items()]
_REASONS = [(code, re.compile(pattern)) for code, pattern in REASONS.items()]
_NOTES = [(code, re.compile(pattern, re.DOTALL)) for code, pattern in NOTES.items()]
_FAILURES = [(code, re.compile(pattern)) for code, pattern in FAILURES.items()]


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


def parse_note(text: str) -> tuple[str | None, dict[str, str]]:
    return _match(_NOTES, text)


def parse_failure(text: str) -> tuple[str | None, dict[str, str]]:
    return _match(_FAILURES, text)


def _match(vocabulary: list[tuple[str, re.Pattern]], text: str) -> tuple[str | None, dict[str, str]]:
    for code, pattern in vocabulary:
        if match := pattern.fullmatch(text or ""):
            return code, match.groupdict()
    return None, {}
