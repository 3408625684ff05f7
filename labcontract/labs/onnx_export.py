"""Contract of the ONNX Runtime lab: a model exported to ONNX with its KV cache as graph inputs and outputs,
quantized, and run on the execution providers a runner has, each figure beside PyTorch in the same job."""

from __future__ import annotations

from typing import Any

from labcontract.errors import ContractError
from labcontract.labs.cross_model import BUILTIN_CONTEXT
from labcontract.labs.spec import LabSpec

ONNX_EXPORTERS = ("torch-dynamo", "torch-dynamo+ort-fusions", "ort-genai-builder")
ONNX_PRECISIONS = ("fp32", "fp16", "int8", "int4")
ONNX_PROVIDERS = ("cpu", "cuda", "tensorrt")
ONNX_CPU_MAX_TOKENS = 2048

ONNX_EXPORT_PARAMS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "model": {"type": "string", "minLength": 1, "maxLength": 500, "default": "smollm2-135m",
                  "description": "'smollm2-135m', 'gemma3-270m', 'fixture' or an absolute path to a Hugging Face "
                                 "model directory on the runner"},
        "exporter": {"enum": list(ONNX_EXPORTERS), "default": "torch-dynamo+ort-fusions"},
        "precisions": {"type": "array", "minItems": 1, "maxItems": len(ONNX_PRECISIONS), "uniqueItems": True,
                       "items": {"enum": list(ONNX_PRECISIONS)}, "default": ["fp32", "int8"]},
        "providers": {"type": "array", "minItems": 1, "maxItems": len(ONNX_PROVIDERS), "uniqueItems": True,
                      "items": {"enum": list(ONNX_PROVIDERS)}, "default": ["cpu"]},
        "prompt_len": {"type": "integer", "minimum": 1, "maximum": 32768, "default": 64},
        "gen_len": {"type": "integer", "minimum": 2, "maximum": 2048, "default": 16},
        "repeats": {"type": "integer", "minimum": 1, "maximum": 20, "default": 3},
        "warmup": {"type": "integer", "minimum": 0, "maximum": 5, "default": 1},
        "quality_tokens": {"type": "integer", "minimum": 8, "maximum": 4096, "default": 128},
    },
}

_NUM = {"type": "number"}
_STATS = {"type": "object", "required": ["n", "median"], "properties": {"n": {"type": "integer"}, "median": _NUM}}
_TIMING = {"prefill_latency_s": _STATS, "decode_tokens_per_s": _NUM}
_GRAPH_OK = {"type": "object", "required": ["precision", "status", "ops", "fused_ops", "nodes", "bytes",
                                            "external_data", "make_s"],
             "properties": {"precision": {"type": "string"}, "status": {"const": "ok"}, "ops": {"type": "object"},
                            "fused_ops": {"type": "object"}, "bytes": {"type": "integer"},
                            "external_data": {"type": "boolean"}, "cache_inputs": {"type": "integer"}}}
_NOT_OK = {"type": "object", "required": ["status"],
           "properties": {"status": {"enum": ["unsupported", "error"]}},
           "anyOf": [{"required": ["reason"]}, {"required": ["error"]}]}
_RUN_OK = {"type": "object",
           "required": ["precision", "provider", "status", "prefill_latency_s", "decode_tokens_per_s", "parity",
                        "memory"],
           "properties": {"status": {"const": "ok"}, **_TIMING,
                          "parity": {"type": "object", "required": ["max_abs_logit_diff", "top1_agreement", "mean_kl",
                                                                    "greedy_identical_tokens", "greedy_tokens"]},
                          "prefill_speedup_vs_pytorch": _NUM, "decode_speedup_vs_pytorch": _NUM}}

ONNX_EXPORT_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["lab", "model", "device", "exporter", "settings", "onnxruntime", "pytorch", "export", "runs"],
    "properties": {
        "lab": {"const": "onnx-export"}, "model": {"type": "string"}, "device": {"enum": ["cpu", "cuda"]},
        "exporter": {"enum": list(ONNX_EXPORTERS)}, "settings": {"type": "object"},
        "onnxruntime": {"type": "object", "required": ["version", "available_providers"]},
        "pytorch": {"oneOf": [{"type": "null"}, {"type": "object", "required": ["status"],
                                                  "if": {"properties": {"status": {"const": "ok"}}},
                                                  "then": {"required": list(_TIMING), "properties": _TIMING}}]},
        "export": {"type": "object", "required": ["status"],
                   "if": {"properties": {"status": {"const": "ok"}}},
                   "then": {"required": ["export_s", "graphs"],
                            "properties": {"graphs": {"type": "array", "items": {
                                "if": {"properties": {"status": {"const": "ok"}}}, "then": _GRAPH_OK,
                                "else": _NOT_OK}}}}},
        "runs": {"type": "array", "items": {"if": {"properties": {"status": {"const": "ok"}}}, "then": _RUN_OK,
                                            "else": _NOT_OK}},
    },
}


def check_onnx_export_params(params: dict[str, Any], *, device: str | None = None) -> None:
    """A built-in model's context, and lengths a CPU runner finishes, checked before anything is queued; fp16 and
    the CUDA / TensorRT providers need a CUDA queue."""
    ref = params["model"]
    context = BUILTIN_CONTEXT.get(ref)
    if context is None and not ref.startswith("/"):
        raise ContractError(f"model: {ref!r} is neither one of {', '.join(BUILTIN_CONTEXT)} nor an absolute path to "
                            "a model directory on the runner", "model")
    need = params["prompt_len"] + params["gen_len"]
    if context is not None:
        for field, value in (("prompt_len", need), ("quality_tokens", params["quality_tokens"])):
            if value > context:
                raise ContractError(f"{field}: {value} tokens is past {ref}'s context of {context}", field)
    if device == "cpu":
        for field, value in (("prompt_len", need), ("quality_tokens", params["quality_tokens"])):
            if value > ONNX_CPU_MAX_TOKENS:
                raise ContractError(f"{field}: {value} tokens is more than a CPU runner measures in reasonable time "
                                    f"(at most {ONNX_CPU_MAX_TOKENS})", field)
        gpu_only = [p for p in params["providers"] if p != "cpu"]
        if gpu_only:
            raise ContractError(f"providers: {', '.join(gpu_only)} need a CUDA runner; queue the job on lab.cuda or "
                                "keep only cpu", "providers")
        if params["precisions"] == ["fp16"]:
            raise ContractError("precisions: fp16 graphs run on the CUDA and TensorRT providers only; add fp32 or "
                                "int8 for a CPU runner", "precisions")


def onnx_export_failure(result: dict[str, Any]) -> str | None:
    """No ONNX session measured: the job failed, with the export's or the first run's reason."""
    if any(r.get("status") == "ok" for r in result.get("runs", [])):
        return None
    export = result.get("export") or {}
    if export.get("status") != "ok":
        return f"export {export.get('status')}: {export.get('reason') or export.get('error') or ''}"[:4000]
    first = (result.get("runs") or [{}])[0]
    return (f"no ONNX Runtime session was measured: {first.get('precision', '')} on {first.get('provider', '')} "
            f"{first.get('status', '')}: {first.get('reason') or first.get('error') or ''}")[:4000]


SPEC = LabSpec(slug="onnx-export", order=75, queues=("lab.cpu", "lab.cuda"), params=ONNX_EXPORT_PARAMS,
               result=ONNX_EXPORT_RESULT,
               check_params=lambda filled, device: check_onnx_export_params(filled, device=device),
               result_failure=onnx_export_failure)
