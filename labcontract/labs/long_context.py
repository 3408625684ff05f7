"""Contract of the long-context lab: RoPE settings (plain, linear, dynamic NTK, YaRN, the model's own) compared
by perplexity against length and by passkey retrieval on a length x depth grid; its parameters and result."""

from __future__ import annotations

from typing import Any

from labcontract.errors import ContractError
from labcontract.labs.spec import LabSpec, no_entry_measured

LONG_CONTEXT_ROPE_TYPES = ("none", "model", "linear", "dynamic", "yarn")
LONG_CONTEXT_MAX_LENGTH = 131072
LONG_CONTEXT_CPU_MAX_LENGTH = 8192  # a 2-core CPU runner would take hours past this
LONG_CONTEXT_TEXT_MAX_BYTES = 1024 * 1024

# Qwen README (QwenLM/Qwen, "Long-Context Understanding"): Qwen-7B perplexity on arXiv text.
QWEN_LONG_CONTEXT_SOURCE = "https://github.com/QwenLM/Qwen/blob/main/README.md#long-context-understanding"
QWEN_LONG_CONTEXT_LENGTHS = (1024, 2048, 4096, 8192, 16384)
QWEN_LONG_CONTEXT_PPL = {
    "Qwen-7B": (4.23, 3.78, 39.35, 469.81, 2645.09),
    "Qwen-7B + dynamic NTK": (4.23, 3.78, 3.59, 3.66, 5.71),
    "Qwen-7B + dynamic NTK + LogN": (4.23, 3.78, 3.58, 3.56, 4.62),
    "Qwen-7B + dynamic NTK + LogN + window attention": (4.23, 3.78, 3.58, 3.49, 4.32),
}

_SETTING = {
    "type": "object",
    "required": ["type"],
    "additionalProperties": False,
    "properties": {
        "type": {"enum": list(LONG_CONTEXT_ROPE_TYPES)},
        "factor": {"type": "number", "minimum": 1, "maximum": 64},
        "beta_fast": {"type": "number", "exclusiveMinimum": 0, "maximum": 1024},
        "beta_slow": {"type": "number", "exclusiveMinimum": 0, "maximum": 1024},
    },
}

LONG_CONTEXT_PARAMS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "model": {"type": "string", "minLength": 1, "maxLength": 500, "default": "smollm2-135m"},
        "settings": {"type": "array", "minItems": 1, "maxItems": 8, "uniqueItems": True, "items": _SETTING,
                     "default": [{"type": "none"}, {"type": "linear", "factor": 4}, {"type": "dynamic", "factor": 4},
                                 {"type": "yarn", "factor": 4}]},
        # The length the scaling formulas treat as trained (L0). null: the model's own. A smaller value makes a
        # small model show extrapolation on a CPU; the result then says it is nominal.
        "trained_length": {"type": ["integer", "null"], "minimum": 16, "maximum": LONG_CONTEXT_MAX_LENGTH,
                           "default": 256},
        "lengths": {"type": "array", "minItems": 1, "maxItems": 12, "uniqueItems": True,
                    "items": {"type": "integer", "minimum": 128, "maximum": LONG_CONTEXT_MAX_LENGTH},
                    "default": [128, 256, 512, 1024]},
        "ppl_windows": {"type": "integer", "minimum": 1, "maximum": 16, "default": 1},
        "passkey_depths": {"type": "array", "minItems": 1, "maxItems": 11, "uniqueItems": True,
                           "items": {"type": "number", "minimum": 0, "maximum": 1}, "default": [0.1, 0.5, 0.9]},
        "passkey_trials": {"type": "integer", "minimum": 1, "maximum": 20, "default": 2},
        "accuracy_threshold": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.8},
        # Empty: the text the runner ships (gpu_runner/labs/long_context/text.py).
        "eval_text": {"type": "string", "maxLength": LONG_CONTEXT_TEXT_MAX_BYTES, "default": ""},
        "dtype": {"enum": ["auto", "fp32", "bf16", "fp16"], "default": "auto"},
        "seed": {"type": "integer", "minimum": 0, "default": 0},
    },
}

_NUM = {"type": "number"}
_CELL = {
    "type": "object",
    "required": ["length", "perplexity", "nll", "tokens_scored", "text_repeated", "prefill_s", "kv_cache_bytes",
                 "peak_memory_bytes", "passkey", "passkey_accuracy"],
    "properties": {
        "length": {"type": "integer"}, "perplexity": _NUM, "nll": _NUM, "tokens_scored": {"type": "integer"},
        "text_repeated": {"type": "boolean"}, "prefill_s": _NUM, "kv_cache_bytes": {"type": "integer"},
        "peak_memory_bytes": {"type": "integer"},
        "passkey": {"type": "array", "items": {"type": "object", "required": ["depth", "accuracy", "trials"],
                                               "properties": {"depth": _NUM, "accuracy": _NUM,
                                                              "trials": {"type": "integer"}}}},
        "passkey_accuracy": _NUM,
    },
}

LONG_CONTEXT_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["lab", "model", "device", "dtype", "trained_length", "trained_length_nominal", "lengths", "depths",
                 "settings", "published_reference", "notes"],
    "properties": {
        "lab": {"const": "long-context"},
        "model": {"type": "string"}, "model_description": {"type": ["object", "null"]},
        "device": {"enum": ["cpu", "cuda"]}, "dtype": {"type": "string"},
        "trained_length": {"type": "integer"},
        "model_trained_length": {"type": ["integer", "null"]},
        "trained_length_nominal": {"type": "boolean"},
        "model_rope": {"type": ["object", "null"]},
        "lengths": {"type": "array", "items": {"type": "integer"}},
        "depths": {"type": "array", "items": _NUM},
        "accuracy_threshold": _NUM,
        "settings": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["setting", "status"],
            "properties": {"setting": {"type": "string"}, "status": {"enum": ["ok", "unsupported", "error"]},
                           "rope_parameters": {"type": "object"},
                           "cells": {"type": "array", "minItems": 1, "items": _CELL},
                           "effective_length": {"type": ["integer", "null"]},
                           "reason": {"type": "string"}, "error": {"type": "string"}},
            "allOf": [{"if": {"properties": {"status": {"const": "ok"}}},
                       "then": {"required": ["rope_parameters", "cells", "effective_length"]}},
                      {"if": {"properties": {"status": {"const": "unsupported"}}}, "then": {"required": ["reason"]}},
                      {"if": {"properties": {"status": {"const": "error"}}}, "then": {"required": ["error"]}}]}},
        "published_reference": {"type": "object"},
        "eval_text": {"type": "object"},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}


def published_reference() -> dict[str, Any]:
    return {"source": QWEN_LONG_CONTEXT_SOURCE, "text": "arXiv papers", "lengths": list(QWEN_LONG_CONTEXT_LENGTHS),
            "rows": [{"setting": name, "perplexity": list(ppl)} for name, ppl in QWEN_LONG_CONTEXT_PPL.items()]}


def check_long_context_params(params: dict[str, Any], *, device: str | None = None) -> None:
    """Checks beyond the JSON schema: factors where a scaling needs one, lengths a CPU runner can finish."""
    for i, setting in enumerate(params.get("settings", [])):
        if setting["type"] in ("linear", "dynamic", "yarn") and "factor" not in setting:
            raise ContractError(f"settings[{i}]: a {setting['type']} RoPE setting needs a factor (>= 1)",
                                f"settings/{i}/factor")
        if setting["type"] not in ("linear", "dynamic", "yarn") and "factor" in setting:
            raise ContractError(f"settings[{i}]: '{setting['type']}' takes no factor", f"settings/{i}/factor")
        if ("beta_fast" in setting or "beta_slow" in setting) and setting["type"] != "yarn":
            raise ContractError(f"settings[{i}]: beta_fast/beta_slow only apply to yarn", f"settings/{i}")
        if setting.get("beta_fast", 32) <= setting.get("beta_slow", 1):
            raise ContractError(f"settings[{i}]: beta_fast must be greater than beta_slow", f"settings/{i}/beta_fast")
    if device == "cpu" and max(params.get("lengths", [0])) > LONG_CONTEXT_CPU_MAX_LENGTH:
        raise ContractError(f"lengths: {max(params['lengths'])} tokens is beyond what a CPU runner finishes "
                            f"(at most {LONG_CONTEXT_CPU_MAX_LENGTH}); use a CUDA runner", "lengths")


SPEC = LabSpec(slug="long-context", order=60, queues=("lab.cpu", "lab.cuda"), params=LONG_CONTEXT_PARAMS,
               result=LONG_CONTEXT_RESULT,
               check_params=lambda filled, device: check_long_context_params(filled, device=device),
               result_failure=no_entry_measured("settings", "setting"))
