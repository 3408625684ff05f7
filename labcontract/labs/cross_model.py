"""Contract of the cross-model lab: two or more models measured on one workload (config side by side, parameter
split, KV bytes per token from the config and from the real cache, speed, tokens per character, bits per byte),
and the shapes of the plan's models from their public config.json files (model_shapes.json beside this module)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from labcontract.errors import ContractError
from labcontract.labs.spec import LabSpec

CROSS_MODEL_MAX_MODELS = 4
CROSS_MODEL_CPU_MAX_TOKENS = 4096  # prompt + generation, or the KV probe, past which a 2-core CPU takes minutes
# Context lengths of the models a runner ships (their config.json max_position_embeddings), so a length past one is
# refused before anything is queued; a local directory's context is checked on the runner.
BUILTIN_CONTEXT = {"smollm2-135m": 8192, "gemma3-270m": 32768, "fixture": 4096}
SHAPES_FILE = Path(__file__).resolve().parent / "model_shapes.json"

_MODEL = {"type": "string", "minLength": 1, "maxLength": 500}

CROSS_MODEL_PARAMS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "models": {"type": "array", "minItems": 2, "maxItems": CROSS_MODEL_MAX_MODELS, "uniqueItems": True,
                   "items": _MODEL, "default": ["smollm2-135m", "gemma3-270m"],
                   "description": "'smollm2-135m', 'gemma3-270m', 'fixture' or absolute paths to Hugging Face "
                                  "model directories on the runner"},
        "prompt_len": {"type": "integer", "minimum": 1, "maximum": 32768, "default": 64},
        "gen_len": {"type": "integer", "minimum": 2, "maximum": 2048, "default": 16},
        "batch": {"type": "integer", "minimum": 1, "maximum": 16, "default": 1},
        "repeats": {"type": "integer", "minimum": 1, "maximum": 20, "default": 3},
        "warmup": {"type": "integer", "minimum": 0, "maximum": 5, "default": 1},
        # Prefill length at which the cache the model builds is weighed: past Gemma 3 270M's 512-token window by
        # default, so its sliding layers show their cap.
        "kv_probe_len": {"type": "integer", "minimum": 1, "maximum": 32768, "default": 640},
    },
}

_NUM = {"type": "number"}
_STATS = {"type": "object", "required": ["n", "median"], "properties": {"n": {"type": "integer"}, "median": _NUM}}
_TEXT = {"type": "object", "required": ["tokens", "tokens_per_char", "bits_per_byte", "perplexity"],
         "properties": {"tokens": {"type": "integer"}, "tokens_per_char": _NUM, "bits_per_byte": _NUM,
                        "perplexity": _NUM, "byte_perplexity": _NUM}}
_OK = {
    "type": "object",
    "required": ["model", "status", "config", "params", "weight_bytes", "kv", "speed", "text"],
    "properties": {
        "model": {"type": "string"}, "status": {"const": "ok"}, "config": {"type": "object"},
        "architecture": {"type": "string"},
        "params": {"type": "object", "required": ["embedding", "lm_head", "attention", "mlp", "norm", "total", "tied"],
                   "properties": {"total": {"type": "integer"}, "tied": {"type": "boolean"}}},
        "weight_bytes": {"type": "object", "required": ["loaded", "bf16"]},
        "kv": {"type": "object", "required": ["probe_len", "per_token_config", "per_token_config_bf16",
                                              "config_bytes_at_probe", "measured_bytes_at_probe", "layers"],
               "properties": {"layers": {"type": "array", "items": {
                   "type": "object", "required": ["kind", "tokens_held", "bytes"]}}}},
        "speed": {"type": "object", "required": ["prefill_latency_s", "decode_tokens_per_s"],
                  "properties": {"prefill_latency_s": _STATS, "decode_tokens_per_s": _NUM}},
        "text": {"type": "object", "required": ["en", "zh"], "properties": {"en": _TEXT, "zh": _TEXT}},
        "model_info": {"type": "object"},
    },
}
_UNSUPPORTED = {"type": "object", "required": ["model", "status", "reason"],
                "properties": {"status": {"const": "unsupported"}, "reason": {"type": "string"}}}
_ERROR = {"type": "object", "required": ["model", "status", "error"],
          "properties": {"status": {"const": "error"}, "error": {"type": "string"}}}

CROSS_MODEL_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["lab", "device", "settings", "texts", "models"],
    "properties": {
        "lab": {"const": "cross-model"}, "device": {"enum": ["cpu", "cuda"]}, "settings": {"type": "object"},
        "texts": {"type": "object"},
        "models": {"type": "array", "minItems": 1, "items": {"oneOf": [_OK, _UNSUPPORTED, _ERROR]}},
    },
}


def check_cross_model_params(params: dict[str, Any], *, device: str | None = None) -> None:
    """Lengths past a built-in model's context, or past what a CPU runner finishes, name their field."""
    need = params["prompt_len"] + params["gen_len"]
    for i, ref in enumerate(params["models"]):
        context = BUILTIN_CONTEXT.get(ref)
        if context is None and not ref.startswith("/"):
            raise ContractError(f"models[{i}]: {ref!r} is neither one of {', '.join(BUILTIN_CONTEXT)} nor an "
                                "absolute path to a model directory on the runner", f"models/{i}")
        if context is not None:
            if need > context:
                raise ContractError(f"prompt_len: prompt_len + gen_len = {need} tokens is past {ref}'s context of "
                                    f"{context}", "prompt_len")
            if params["kv_probe_len"] > context:
                raise ContractError(f"kv_probe_len: {params['kv_probe_len']} tokens is past {ref}'s context of "
                                    f"{context}", "kv_probe_len")
    if device == "cpu":
        for field, value in (("prompt_len", need), ("kv_probe_len", params["kv_probe_len"])):
            if value > CROSS_MODEL_CPU_MAX_TOKENS:
                raise ContractError(f"{field}: {value} tokens is more than a CPU runner measures in reasonable time "
                                    f"(at most {CROSS_MODEL_CPU_MAX_TOKENS}); queue it on lab.cuda", field)


def cross_model_failure(result: dict[str, Any]) -> str | None:
    """A job in which fewer than two models were measured compares nothing: it failed, with the first reason."""
    entries = result.get("models", [])
    if sum(1 for e in entries if e.get("status") == "ok") >= 2:
        return None
    bad = next((e for e in entries if e.get("status") != "ok"), {})
    return (f"fewer than two models were measured: {bad.get('model', '')} {bad.get('status', '')}: "
            f"{bad.get('reason') or bad.get('error') or 'nothing to compare'}")[:4000]


# ---- config arithmetic, shared by the runner's figures and the page's plan models --------------------------


def kv_bytes_per_token(shape: dict[str, Any], dtype_bytes: int = 2, length: int = 1) -> float:
    """KV-cache bytes per token of context at `length` tokens: every layer keeps K and V of num_key_value_heads x
    head_dim per token; a sliding layer keeps at most sliding_window tokens, so its share falls as length grows."""
    per_layer = 2 * shape["num_key_value_heads"] * shape["head_dim"] * dtype_bytes
    window = shape.get("sliding_window") or length
    sliding = shape.get("sliding_layers") or 0
    full = shape["num_hidden_layers"] - sliding
    return per_layer * (full * length + sliding * min(length, window)) / length


def parameter_estimate(shape: dict[str, Any]) -> dict[str, int]:
    """Parameters by role from config arithmetic (gated MLP of three matrices, no biases, norms left out):
    embedding = vocab x hidden (once more for an untied output head), attention = q, k, v, o projections."""
    h, layers, hd = shape["hidden_size"], shape["num_hidden_layers"], shape["head_dim"]
    embedding = shape["vocab_size"] * h
    attention = layers * (2 * h * shape["num_attention_heads"] * hd + 2 * h * shape["num_key_value_heads"] * hd)
    mlp = layers * 3 * h * shape["intermediate_size"]
    head = 0 if shape["tie_word_embeddings"] else embedding
    return {"embedding": embedding, "lm_head": head, "attention": attention, "mlp": mlp,
            "total": embedding + head + attention + mlp}


@cache
def plan_model_shapes() -> tuple[dict[str, Any], ...]:
    """The plan's models (Qwen-7B, Qwen2.5-7B, Llama-3-8B, Mistral-7B, Gemma-2/3) with their source links."""
    return tuple(json.loads(SHAPES_FILE.read_text())["models"])


SPEC = LabSpec(slug="cross-model", order=80, queues=("lab.cpu", "lab.cuda"), params=CROSS_MODEL_PARAMS,
               result=CROSS_MODEL_RESULT,
               check_params=lambda filled, device: check_cross_model_params(filled, device=device),
               result_failure=cross_model_failure)
