"""Contract of the fine-tuning lab (LoRA / Q-LoRA with peft): its parameters, its result, and the check of a
learner's dataset in Qwen's fine-tuning format, run by the site before queueing so a bad file queues nothing.

Dataset format (Qwen's finetune.py): one JSON object per line,
``{"id": "...", "conversations": [{"from": "user", "value": "..."}, {"from": "assistant", "value": "..."}]}``;
turns alternate user / assistant, starting with the user, optionally after one leading "system" turn (an
extension: Qwen's script always uses "You are a helpful assistant."); at least one assistant turn has text.
"""

from __future__ import annotations

import json
from typing import Any

from labcontract.errors import ContractError, short
from labcontract.labs.spec import LabSpec

FINETUNE_METHODS = ("lora", "qlora-nf4", "qlora-gptq")
FINETUNE_DATASETS = ("builtin", "upload")
FINETUNE_DATASET_MAX_BYTES = 2 * 1024 * 1024  # one uploaded file, as text
FINETUNE_DATASET_MAX_LINES = 20000
TURN_ROLES = ("system", "user", "assistant")
# The published rows the job page sets the learner's figures beside: Qwen README (QwenLM/Qwen), "Profiling of
# Memory and Speed": one A100-SXM4-80G, CUDA 11.8, PyTorch 2.0, Flash Attention 2, batch 1, gradient accumulation
# 8, samples padded to the sequence length; GPU memory in GB and seconds per optimizer step. Q-LoRA there is
# LoRA on the GPTQ Int4 chat model (fp16).
QWEN_PROFILE_SOURCE = "https://github.com/QwenLM/Qwen/blob/main/README.md#profiling-of-memory-and-speed"
QWEN_PROFILE_SETUP = ("1x A100-SXM4-80G, CUDA 11.8, PyTorch 2.0, Flash Attention 2, batch 1, gradient "
                      "accumulation 8, samples padded to the sequence length; Q-LoRA = LoRA on the GPTQ Int4 model")
QWEN_PROFILE_LENGTHS = (256, 512, 1024, 2048, 4096, 8192)
QWEN_PROFILE: dict[tuple[str, str], tuple[tuple[float, float], ...]] = {  # (model, method) -> (GB, s/it) per length
    ("Qwen-7B", "LoRA"): ((20.1, 1.2), (20.4, 1.5), (21.5, 2.8), (23.8, 5.2), (29.7, 10.1), (36.6, 21.3)),
    ("Qwen-7B", "Q-LoRA"): ((11.5, 3.0), (11.5, 3.0), (12.3, 3.5), (13.9, 7.0), (16.9, 11.6), (23.5, 22.3)),
    ("Qwen-1.8B", "Q-LoRA"): ((5.8, 1.4), (6.0, 1.4), (6.6, 1.4), (7.8, 2.0), (10.2, 3.4), (15.8, 6.5)),
}

FINETUNE_PARAMS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "model": {"type": "string", "minLength": 1, "maxLength": 500, "default": "smollm2-135m",
                  "description": "'fixture', a model name the runner knows, or an absolute path to a Hugging Face "
                                 "model directory on the runner (for qlora-gptq: a GPTQ checkpoint)"},
        "method": {"enum": list(FINETUNE_METHODS), "default": "lora"},
        "rank": {"type": "integer", "minimum": 1, "maximum": 1024, "default": 8},
        "alpha": {"type": "number", "exclusiveMinimum": 0, "maximum": 4096, "default": 16},
        "dropout": {"type": "number", "minimum": 0, "maximum": 0.9, "default": 0.05},
        # "all-linear" is peft's own shortcut: every Linear except the output head.
        "target_modules": {"oneOf": [{"const": "all-linear"},
                                     {"type": "array", "minItems": 1, "maxItems": 32, "uniqueItems": True,
                                      "items": {"type": "string", "pattern": r"^[A-Za-z0-9_.]{1,100}$"}}],
                           "default": "all-linear"},
        "seq_len": {"type": "integer", "minimum": 16, "maximum": 32768, "default": 256},
        "batch_size": {"type": "integer", "minimum": 1, "maximum": 256, "default": 2},
        "grad_accum": {"type": "integer", "minimum": 1, "maximum": 256, "default": 1},
        "steps": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 20},
        "lr": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 2e-4},
        "lr_scheduler": {"enum": ["constant", "cosine"], "default": "cosine"},
        "warmup_steps": {"type": "integer", "minimum": 0, "maximum": 10000, "default": 0},
        "gradient_checkpointing": {"type": "boolean", "default": False},
        # auto: fp32 on CPU, bf16 on CUDA (Q-LoRA computes in bf16; Qwen's GPTQ recipe uses fp16).
        "dtype": {"enum": ["auto", "fp32", "bf16", "fp16"], "default": "auto"},
        "seed": {"type": "integer", "minimum": 0, "default": 0},
        # longest: pad each batch to its longest example; max_length: pad every example to seq_len, as Qwen's
        # finetune.py does (use it to compare s/step with the published rows).
        "padding": {"enum": ["longest", "max_length"], "default": "longest"},
        "dataset": {"enum": list(FINETUNE_DATASETS), "default": "builtin"},
        "train_jsonl": {"type": "string", "maxLength": FINETUNE_DATASET_MAX_BYTES, "default": ""},
        # Empty with an upload: the last heldout_fraction of the training lines (in file order) are held out.
        "heldout_jsonl": {"type": "string", "maxLength": FINETUNE_DATASET_MAX_BYTES, "default": ""},
        "heldout_fraction": {"type": "number", "exclusiveMinimum": 0, "maximum": 0.5, "default": 0.2},
        "eval_max_new_tokens": {"type": "integer", "minimum": 8, "maximum": 1024, "default": 64},
        "eval_examples": {"type": "integer", "minimum": 1, "maximum": 512, "default": 16},
    },
}

_NUM = {"type": "number"}
_NUM_OR_NULL = {"type": ["number", "null"]}
_INT_OR_NULL = {"type": ["integer", "null"]}
_EVAL = {
    "type": "object",
    "required": ["heldout_loss", "heldout_perplexity", "task_score", "tool_accuracy", "json_valid", "scored",
                 "samples"],
    "properties": {
        "heldout_loss": _NUM, "heldout_perplexity": _NUM,
        "task_score": _NUM_OR_NULL, "tool_accuracy": _NUM_OR_NULL, "json_valid": _NUM_OR_NULL,
        "scored": {"type": "integer", "minimum": 0},
        "samples": {"type": "array", "maxItems": 2, "items": {
            "type": "object", "required": ["id", "prompt", "generated", "expected_tool", "tool", "correct"],
            "properties": {"id": {"type": "string"}, "prompt": {"type": "string"}, "generated": {"type": "string"},
                           "expected_tool": {"type": ["string", "null"]}, "tool": {"type": ["string", "null"]},
                           "correct": {"type": "boolean"}}}},
    },
}

FINETUNE_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["lab", "model", "device", "method", "status", "settings", "published_reference"],
    "properties": {
        "lab": {"const": "finetune"},
        "model": {"type": "string"},
        "model_description": {"type": ["object", "null"]},
        "device": {"enum": ["cpu", "cuda"]},
        "method": {"enum": list(FINETUNE_METHODS)},
        "status": {"enum": ["ok", "unsupported", "error"]},
        "reason": {"type": "string"},
        "error": {"type": "string"},
        "settings": {"type": "object"},
        "published_reference": {
            "type": "object", "required": ["source", "setup", "seq_len", "exact_length", "rows"],
            "properties": {"source": {"type": "string"}, "setup": {"type": "string"},
                           "seq_len": {"type": "integer"}, "exact_length": {"type": "boolean"},
                           "rows": {"type": "array", "items": {
                               "type": "object", "required": ["model", "method", "memory_gb", "s_per_it"],
                               "properties": {"model": {"type": "string"}, "method": {"type": "string"},
                                              "memory_gb": _NUM, "s_per_it": _NUM}}}}},
        # The rest is present when status is "ok".
        "backend": {"type": "string"},
        "dataset": {"type": "object", "required": ["source", "train_examples", "heldout_examples"],
                    "properties": {"source": {"type": "string"}, "train_examples": {"type": "integer"},
                                   "heldout_examples": {"type": "integer"}, "truncated_examples": {"type": "integer"}}},
        "parameters": {"type": "object", "required": ["trainable", "total", "trainable_percent", "adapted_modules"],
                       "properties": {"trainable": {"type": "integer", "minimum": 1},
                                      "total": {"type": "integer", "minimum": 1},
                                      "trainable_percent": _NUM, "adapted_modules": {"type": "integer"}}},
        "memory": {"type": "object", "required": ["peak_rss_bytes", "cuda_max_allocated_bytes",
                                                  "cuda_max_reserved_bytes"],
                   "properties": {"peak_rss_bytes": {"type": "integer"}, "cuda_max_allocated_bytes": _INT_OR_NULL,
                                  "cuda_max_reserved_bytes": _INT_OR_NULL}},
        "s_per_step": _NUM, "step_seconds": {"type": "array", "items": _NUM},
        "tokens_per_s": _NUM, "supervised_tokens_per_s": _NUM,
        "loss_curve": {"type": "array", "minItems": 1, "items": _NUM},
        "before": _EVAL, "after": _EVAL,
        "adapter": {"type": "object", "required": ["path", "bytes", "files"],
                    "properties": {"path": {"type": "string"}, "bytes": {"type": "integer", "minimum": 1},
                                   "files": {"type": "array", "items": {"type": "string"}},
                                   "reload_max_abs_diff": _NUM_OR_NULL}},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
    "allOf": [{"if": {"properties": {"status": {"const": "ok"}}},
               "then": {"required": ["backend", "dataset", "parameters", "memory", "s_per_step", "tokens_per_s",
                                     "loss_curve", "before", "after", "adapter"]}},
              {"if": {"properties": {"status": {"const": "unsupported"}}}, "then": {"required": ["reason"]}},
              {"if": {"properties": {"status": {"const": "error"}}}, "then": {"required": ["error"]}}],
}


class DatasetError(ContractError):
    """A line of an uploaded dataset that does not fit Qwen's format; .line is its 1-based number."""

    def __init__(self, message: str, field: str, line: int):
        super().__init__(message, field)
        self.line = line


def validate_dataset_jsonl(text: str, *, field: str = "train_jsonl") -> list[dict[str, Any]]:
    """Parse a JSONL dataset in Qwen's format; raise DatasetError naming the line and what is wrong."""
    if len(text.encode("utf-8")) > FINETUNE_DATASET_MAX_BYTES:
        raise DatasetError(f"{field}: the file is over {FINETUNE_DATASET_MAX_BYTES // (1024 * 1024)} MiB", field, 0)
    examples: list[dict[str, Any]] = []
    lines = text.splitlines()
    if len(lines) > FINETUNE_DATASET_MAX_LINES:
        raise DatasetError(f"{field}: {len(lines)} lines, at most {FINETUNE_DATASET_MAX_LINES}", field, 0)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue  # blank lines (a trailing newline, a separator) carry no example
        try:
            examples.append(_example(line, number))
        except ValueError as exc:
            raise DatasetError(f"{field} line {number}: {exc}", f"{field}:{number}", number) from None
    if not examples:
        raise DatasetError(f"{field}: no examples (the file is empty)", field, 0)
    return examples


def _example(line: str, number: int) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    if "id" in obj and not isinstance(obj["id"], (str, int)):
        raise ValueError('"id" must be a string or an integer')
    turns = obj.get("conversations")
    if not isinstance(turns, list) or not turns:
        raise ValueError('"conversations" must be a non-empty list of {"from", "value"} turns')
    expected = "user"
    for i, turn in enumerate(turns):
        where = f"conversations[{i}]"
        if not isinstance(turn, dict) or not isinstance(turn.get("value"), str) or "from" not in turn:
            raise ValueError(f'{where} must be an object with "from" and a string "value"')
        role = turn["from"]
        if role not in TURN_ROLES:
            raise ValueError(f'{where}.from is {short(repr(role), 40)}; expected one of "user", "assistant" '
                             '(or "system" as the first turn)')
        if role == "system":
            if i != 0:
                raise ValueError(f"{where}: a system turn may only come first")
            continue
        if role != expected:
            raise ValueError(f'{where}.from is "{role}" where a "{expected}" turn was expected '
                             "(turns alternate user, assistant, starting with the user)")
        expected = "assistant" if role == "user" else "user"
    if not any(t["from"] == "assistant" and t["value"].strip() for t in turns):
        raise ValueError("no assistant turn with text: there is nothing to learn from this example")
    return {"id": str(obj.get("id", f"line-{number}")), "conversations": turns}


def published_reference(seq_len: int) -> dict[str, Any]:
    """Qwen's published rows at the profiled length nearest to seq_len (exact_length says whether it matched)."""
    nearest = min(QWEN_PROFILE_LENGTHS, key=lambda n: (abs(n - seq_len), n))
    i = QWEN_PROFILE_LENGTHS.index(nearest)
    rows = [{"model": model, "method": method, "memory_gb": figures[i][0], "s_per_it": figures[i][1]}
            for (model, method), figures in QWEN_PROFILE.items()]
    return {"source": QWEN_PROFILE_SOURCE, "setup": QWEN_PROFILE_SETUP, "seq_len": nearest,
            "exact_length": nearest == seq_len, "rows": rows}


def check_finetune_params(params: dict[str, Any]) -> None:
    """Checks beyond the JSON schema (run after it): an uploaded dataset is parsed line by line."""
    if params.get("dataset", "builtin") != "upload":
        return
    if not params.get("train_jsonl", "").strip():
        raise ContractError("train_jsonl: an uploaded dataset needs the JSONL text (or choose the built-in one)",
                            "train_jsonl")
    train = validate_dataset_jsonl(params["train_jsonl"], field="train_jsonl")
    if params.get("heldout_jsonl", "").strip():
        validate_dataset_jsonl(params["heldout_jsonl"], field="heldout_jsonl")
    elif len(train) < 2:
        raise ContractError("train_jsonl: one example cannot be split into training and held-out parts; "
                            "add examples or a heldout_jsonl file", "train_jsonl")


def _queue_need(filled: dict[str, Any]) -> tuple[str, str, str] | None:
    if filled["method"] in ("qlora-nf4", "qlora-gptq"):
        return "lab.cuda", "method", f"{filled['method']} needs a CUDA GPU"
    return None


def _result_failure(result: dict[str, Any]) -> str | None:
    """A fine-tuning run that did not train is a failed job (its result still says why)."""
    if result.get("status") != "ok":
        return f"{result.get('status')}: {result.get('reason') or result.get('error') or 'nothing trained'}"[:4000]
    return None


SPEC = LabSpec(slug="finetune", order=50, queues=("lab.cpu", "lab.cuda"), params=FINETUNE_PARAMS,
               result=FINETUNE_RESULT, check_params=lambda filled, device: check_finetune_params(filled),
               queue_need=_queue_need, result_failure=_result_failure)
