"""quant-inference: one model at several precisions (fp32 … int4, GPTQ/AWQ checkpoints) — memory, speed, quality.

Result shape (the "result" object a runner posts):
    quant-inference:
      {"lab": "quant-inference", "model": str, "model_info": MODEL_INFO, "device": "cpu"|"cuda",
       "reference_precision": str,
       "settings": {batch, prompt_len, gen_len, repeats, warmup, quality_tokens},
       "device_bandwidth": {"gb_per_s": float, "source": str} | null,          # CUDA only
       "precisions": [
         {"precision": str, "status": "ok", "backend": str, "weight_bytes": int,
          "load_s": float, "memory": {"peak_rss_bytes", "rss_before_load_bytes",
                                       "cuda_max_allocated_bytes", "cuda_max_reserved_bytes"},
          "prefill_latency_s": STATS, "generate_latency_s": STATS, "decode_latency_s": STATS,
          "decode_tokens_per_s": float, "decode_tokens_per_s_cv": float, "decode_tokens_per_s_runs": [float],
          "quality": {"top1_agreement": float, "mean_kl": float, "perplexity": float,
                      "reference_perplexity": float},
          "decode_ceiling_tokens_per_s": float|null, "mbu": float|null, "notes": [str], "torch_threads": int,
          "added_as_reference": true (only when the job asked for no float precision)}
         | {"precision": str, "status": "unsupported", "reason": str}
         | {"precision": str, "status": "error", "error": str}]}
      STATS = {"n", "mean", "median", "p90", "p99", "min", "max"} in seconds.
      MODEL_INFO = {"ref": str, "name": str, "parameters": int|null, "source": str, "notes": [str]}; for
      smollm2-135m the notes say quality is relative to its Q4_1 GGUF source (its fp32 is Q4_1 dequantized).
"""

from __future__ import annotations

from labcontract.labs._schema import MODEL_INFO, MODEL_REF, NUM, NUM_OR_NULL, STATS, STR_LIST, not_ok
from labcontract.labs.spec import LabSpec, no_entry_measured

PRECISIONS = ("fp32", "bf16", "fp16", "int8", "int8-wo", "int4", "nf4", "gptq", "awq")

QUANT_INFERENCE_PARAMS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "model": MODEL_REF,
        "precisions": {
            "type": "array",
            "items": {"enum": list(PRECISIONS)},
            "minItems": 1,
            "maxItems": 9,
            "uniqueItems": True,
            "default": ["fp32", "bf16", "int8"],
        },
        # One sequence per prompt: the batch is len(prompts); [] means one built-in prompt.
        "prompts": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": 4000},
            "maxItems": 16,
            "default": [],
        },
        "prompt_len": {"type": "integer", "minimum": 1, "maximum": 8192, "default": 32},
        "gen_len": {"type": "integer", "minimum": 2, "maximum": 4096, "default": 16},
        "repeats": {"type": "integer", "minimum": 1, "maximum": 100, "default": 5},
        "warmup": {"type": "integer", "minimum": 0, "maximum": 10, "default": 1},
        # The reference's log-probs (tokens x vocab, fp32) go to disk: 512 x Qwen's 152k vocab is 311 MB.
        "quality_tokens": {"type": "integer", "minimum": 8, "maximum": 512, "default": 128},
        # torch.compile the decode step (static KV cache, CUDA graphs) for every precision of the job alike; CUDA
        # only (transformers compiles generate() there): on a CPU runner each precision is reported unsupported.
        "compile": {"type": "boolean", "default": False},
        # Pre-quantized checkpoints (local directories) for the "gptq" and "awq" precisions.
        "checkpoints": {
            "type": "object",
            "additionalProperties": False,
            "default": {},
            "properties": {"gptq": {"type": "string", "maxLength": 500}, "awq": {"type": "string", "maxLength": 500}},
        },
    },
}

_QUANT_OK = {
    "type": "object",
    "required": ["precision", "status", "backend", "weight_bytes", "load_s", "memory", "prefill_latency_s",
                 "generate_latency_s", "decode_latency_s", "decode_tokens_per_s", "quality"],
    "properties": {
        "precision": {"enum": list(PRECISIONS)},
        "status": {"const": "ok"},
        "backend": {"type": "string"},
        "weight_bytes": {"type": "integer", "minimum": 0},
        "load_s": NUM,
        "memory": {"type": "object", "properties": {k: {"type": ["integer", "null"]} for k in (
            "peak_rss_bytes", "rss_before_load_bytes", "cuda_max_allocated_bytes", "cuda_max_reserved_bytes")}},
        "prefill_latency_s": STATS, "generate_latency_s": STATS, "decode_latency_s": STATS,
        "decode_tokens_per_s": NUM,
        "decode_tokens_per_s_cv": NUM_OR_NULL,
        "decode_tokens_per_s_runs": {"type": "array", "items": NUM},
        "quality": {"type": "object", "properties": {k: NUM_OR_NULL for k in (
            "top1_agreement", "mean_kl", "perplexity", "reference_perplexity")}},
        "decode_ceiling_tokens_per_s": NUM_OR_NULL,
        "mbu": NUM_OR_NULL,
        "notes": STR_LIST,
        "torch_threads": {"type": "integer"},
        "added_as_reference": {"type": "boolean"},
    },
}

QUANT_INFERENCE_RESULT = {
    "type": "object",
    "required": ["lab", "model", "device", "precisions"],
    "properties": {
        "lab": {"const": "quant-inference"},
        "model": {"type": "string"},
        "model_info": MODEL_INFO,
        "device": {"enum": ["cpu", "cuda"]},
        "reference_precision": {"type": ["string", "null"]},
        "settings": {"type": "object"},
        "device_bandwidth": {"type": ["object", "null"], "required": ["gb_per_s"], "properties": {"gb_per_s": NUM}},
        "precisions": {"type": "array", "items": {
            "oneOf": [_QUANT_OK, *not_ok("precision", PRECISIONS)]}},
    },
}


SPEC = LabSpec(slug="quant-inference", order=10, queues=("lab.cpu", "lab.cuda"),
               params=QUANT_INFERENCE_PARAMS, result=QUANT_INFERENCE_RESULT,
               result_failure=no_entry_measured("precisions", "precision"))
