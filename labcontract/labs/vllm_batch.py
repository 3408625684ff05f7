"""vllm-batch: the same requests through sequential, static-batch and continuous-batching engines — throughput.

Result shape (the "result" object a runner posts):
    vllm-batch:
      {"lab": "vllm-batch", "model": str, "model_info": MODEL_INFO, "device": str, "dtype": str,
       "workload": {"num_prompts", "prompt_tokens", "output_tokens", "seed", "static_batch_size"} | null,
       "engines": [
         {"engine": str, "status": "ok", "backend": str, "duration_s": float, "run_durations_s": [float],
          "requests_per_s": float,
          "output_tokens_per_s": float, "total_tokens_per_s": float,
          "latency_s": {"mean", "p50", "p99"}, "speedup_vs_sequential": float|null,
          "speedup_vs_static": float|null, "torch_threads": int,
          "generated_tokens": int,       # tokens the engine computed, padding rows included
          "wasted_token_fraction": float, "notes": [str]}   # 1 - output_tokens / generated_tokens
         | {"engine": str, "status": "unsupported", "reason": str}
         | {"engine": str, "status": "error", "error": str}],
       "continuous_vs_static": {"output_tokens_per_s_ratio", "static_wasted_token_fraction",
                                "continuous_wasted_token_fraction"} | null,   # when both engines ran
       "notes": [str]}
"""

from __future__ import annotations

from labcontract.labs._schema import MODEL_INFO, MODEL_REF, NUM, NUM_OR_NULL, STR_LIST, not_ok
from labcontract.labs.spec import LabSpec, no_entry_measured

VLLM_BATCH_ENGINES = ("hf-sequential", "hf-static-batch", "hf-continuous-batching", "vllm")

VLLM_BATCH_PARAMS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "model": MODEL_REF,
        "engines": {
            "type": "array",
            "items": {"enum": list(VLLM_BATCH_ENGINES)},
            "minItems": 1,
            "uniqueItems": True,
            "default": list(VLLM_BATCH_ENGINES),
        },
        "num_prompts": {"type": "integer", "minimum": 1, "maximum": 2048, "default": 16},
        "prompt_len_min": {"type": "integer", "minimum": 1, "maximum": 8192, "default": 8},
        "prompt_len_max": {"type": "integer", "minimum": 1, "maximum": 8192, "default": 48},
        # Fixed output length, or sampled uniformly in [output_len, output_len_max] when that is set (the default
        # varies them, so static batching's padding and what continuous batching recovers both show).
        "output_len": {"type": "integer", "minimum": 1, "maximum": 4096, "default": 8},
        "output_len_max": {"type": ["integer", "null"], "minimum": 1, "maximum": 4096, "default": 32},
        "seed": {"type": "integer", "minimum": 0, "default": 0},
        "static_batch_size": {"type": "integer", "minimum": 1, "maximum": 256, "default": 8},
        "dtype": {"enum": ["auto", "fp32", "bf16", "fp16"], "default": "auto"},
        "repeats": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1},
        # vLLM's share of the GPU's total memory; null: chosen from the memory free when the engine starts
        # (gpu_runner/measure/gpu_memory.py), refused with the figures when the model cannot fit.
        "gpu_memory_utilization": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 0.95,
                                   "default": None},
    },
}

_ENGINE_OK = {
    "type": "object",
    "required": ["engine", "status", "backend", "duration_s", "requests_per_s", "output_tokens_per_s",
                 "total_tokens_per_s", "latency_s"],
    "properties": {
        "engine": {"enum": list(VLLM_BATCH_ENGINES)},
        "status": {"const": "ok"},
        "backend": {"type": "string"},
        "duration_s": NUM,
        "run_durations_s": {"type": "array", "items": NUM},
        "requests_per_s": NUM, "output_tokens_per_s": NUM, "total_tokens_per_s": NUM,
        "latency_s": {"type": ["object", "null"], "properties": {k: NUM for k in ("mean", "p50", "p99")}},
        "speedup_vs_sequential": NUM_OR_NULL, "speedup_vs_static": NUM_OR_NULL,
        "torch_threads": {"type": "integer"},
        "generated_tokens": {"type": "integer", "minimum": 0},
        "wasted_token_fraction": NUM,
        "notes": STR_LIST,
    },
}

VLLM_BATCH_RESULT = {
    "type": "object",
    "required": ["lab", "model", "device", "engines"],
    "properties": {
        "lab": {"const": "vllm-batch"},
        "model": {"type": "string"},
        "model_info": MODEL_INFO,
        "device": {"type": "string"},
        "dtype": {"type": "string"},
        "workload": {"type": ["object", "null"], "properties": {k: {"type": "integer"} for k in (
            "num_prompts", "prompt_tokens", "output_tokens", "seed", "static_batch_size")}},
        "engines": {"type": "array", "items": {"oneOf": [_ENGINE_OK, *not_ok("engine", VLLM_BATCH_ENGINES)]}},
        "continuous_vs_static": {"type": ["object", "null"], "properties": {k: NUM for k in (
            "output_tokens_per_s_ratio", "static_wasted_token_fraction", "continuous_wasted_token_fraction")}},
        "notes": STR_LIST,
    },
}


SPEC = LabSpec(slug="vllm-batch", order=20, queues=("lab.cpu", "lab.cuda", "lab.vllm"),
               params=VLLM_BATCH_PARAMS, result=VLLM_BATCH_RESULT,
               result_failure=no_entry_measured("engines", "engine"))
