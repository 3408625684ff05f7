"""The serving-benchmark lab's part of the contract: its parameters (SERVING_BENCH_PARAMS), its result
(SERVING_BENCH_RESULT) and validate_params(), which adds the checks a JSON schema cannot say (a request cap
that rate x duration must respect, loopback-only base URLs) with messages that name the field.

Pure Python + jsonschema, like the rest of labcontract: the site validates forms with it, the runner
validates again before it starts a server.
"""

from __future__ import annotations

import ipaddress
import math
from typing import Any
from urllib.parse import urlsplit

import jsonschema

from labcontract.errors import ContractError, short
from labcontract.labs.spec import LabSpec, no_entry_measured

LAB = "serving-bench"
# "transformers": `transformers serve` (one request at a time through generate());
# "transformers-cb": `transformers serve --continuous-batching`; "vllm": `vllm serve` (CUDA hosts with vLLM).
SERVING_ENGINES = ("transformers", "transformers-cb", "vllm")
SLO_FIELDS = ("ttft_ms", "tpot_ms", "e2el_ms")
MAX_REQUESTS_PER_LEVEL = 2048
MAX_LEVELS = 16

_POSITIVE = {"type": "number", "exclusiveMinimum": 0}

SERVING_BENCH_PARAMS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "model": {
            "type": "string", "minLength": 1, "maxLength": 500, "default": "smollm2-135m",
            "description": "'smollm2-135m', 'fixture' or an absolute path to a Hugging Face model directory",
        },
        "engines": {
            "type": "array", "items": {"enum": list(SERVING_ENGINES)}, "minItems": 1, "uniqueItems": True,
            "default": ["transformers", "transformers-cb"],
        },
        # An already-running OpenAI-compatible server on this runner (loopback only); engines are then ignored.
        "base_url": {"type": ["string", "null"], "maxLength": 200, "default": None},
        "served_model": {"type": ["string", "null"], "maxLength": 500, "default": None},
        "api": {"enum": ["chat", "completions"], "default": "chat"},
        "prompt_tokens": {"type": "integer", "minimum": 1, "maximum": 8192, "default": 32},
        "output_tokens": {"type": "integer", "minimum": 1, "maximum": 4096, "default": 16},
        # Every request then produces exactly output_tokens (vLLM ignore_eos; transformers min_new_tokens).
        "ignore_eos": {"type": "boolean", "default": True},
        # Poisson arrivals per level: requests/s, or "inf" (every request at once).
        "request_rates": {
            "type": "array", "maxItems": MAX_LEVELS, "default": [],
            "items": {"anyOf": [_POSITIVE, {"const": "inf"}]},
        },
        # Closed-loop levels: at most this many requests in flight.
        "concurrency": {
            "type": "array", "maxItems": MAX_LEVELS, "default": [1, 2, 4],
            "items": {"type": "integer", "minimum": 1, "maximum": 1024},
        },
        # Caps in-flight requests of the rate levels too (vLLM's --max-concurrency); null = no cap.
        "max_concurrency": {"type": ["integer", "null"], "minimum": 1, "maximum": 1024, "default": None},
        "duration_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600, "default": 10},
        "max_requests_per_level": {"type": "integer", "minimum": 1, "maximum": MAX_REQUESTS_PER_LEVEL,
                                   "default": 16},
        "seed": {"type": "integer", "minimum": 0, "default": 0},
        "slo": {
            "type": "object", "additionalProperties": False, "default": {},
            "properties": {name: _POSITIVE for name in SLO_FIELDS},
        },
        "slo_target": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.9},
        "saturation_threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.05},
        "warmup_requests": {"type": "integer", "minimum": 0, "maximum": 16, "default": 1},
        "dtype": {"enum": ["auto", "fp32", "bf16", "fp16"], "default": "auto"},
        "server_timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600, "default": 300},
        "request_timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600, "default": 120},
    },
}

_STATS = {
    "type": ["object", "null"],
    "required": ["n", "mean", "median", "p90", "p99"],
    "properties": {k: {"type": "number"} for k in ("n", "mean", "median", "p90", "p99", "std", "min", "max")},
}
_NUM_OR_NULL = {"type": ["number", "null"]}
_LEVEL = {
    "type": "object",
    "required": ["mode", "request_rate", "concurrency", "requests", "completed", "failed", "duration_s",
                 "request_throughput", "output_throughput", "total_token_throughput", "ttft_ms", "tpot_ms",
                 "itl_ms", "e2el_ms", "goodput", "slo_attainment", "token_count_source"],
    "properties": {
        "mode": {"enum": ["rate", "concurrency"]},
        "request_rate": {"anyOf": [{"type": "number"}, {"const": "inf"}, {"type": "null"}]},
        "concurrency": {"type": ["integer", "null"]},
        "requests": {"type": "integer", "minimum": 0},
        "completed": {"type": "integer", "minimum": 0},
        "failed": {"type": "integer", "minimum": 0},
        "errors": {"type": "array", "items": {"type": "string"}},
        "duration_s": {"type": "number"},
        "request_throughput": {"type": "number"},
        "output_throughput": {"type": "number"},
        "total_token_throughput": {"type": "number"},
        "total_input_tokens": {"type": "integer"},
        "total_output_tokens": {"type": "integer"},
        "ttft_ms": _STATS, "tpot_ms": _STATS, "itl_ms": _STATS, "e2el_ms": _STATS,
        "goodput": _NUM_OR_NULL,
        "slo_attainment": _NUM_OR_NULL,
        "max_concurrent_requests": {"type": "integer"},
        "token_count_source": {"enum": ["usage", "chunks", "mixed", "none"]},
        # The clock (gpu_runner.measure.loadgen.DEFINITIONS): TTFT from the request's first byte written, the
        # client's own overhead inside TTFT and E2EL, TCP connects; optional, older results lack them.
        "ttft_first_byte_ms": _STATS, "client_overhead_ms": _STATS, "connect_ms": _STATS,
        "new_connections": {"type": "integer", "minimum": 0},
        "reused_connections": {"type": "integer", "minimum": 0},
        # Rate levels: how the sends really went out.
        "realised_request_rate": _NUM_OR_NULL,
        "arrival_gap_cv": _NUM_OR_NULL,
        "send_lag_ms": _STATS,
    },
}
_CHART = {
    "type": "object",
    "required": ["title", "x", "y", "definition", "series"],
    "properties": {
        "title": {"type": "string"}, "x": {"type": "string"}, "y": {"type": "string"},
        "definition": {"type": "string"},
        "series": {"type": "array", "items": {
            "type": "object", "required": ["name", "points"],
            "properties": {"name": {"type": "string"}, "points": {"type": "array", "items": {
                "type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"}}}}}},
    },
}
_ENGINE_OK = {
    "type": "object",
    "required": ["engine", "status", "server", "levels", "saturation", "max_rate_meeting_slo",
                 "max_concurrency_meeting_slo", "charts"],
    "properties": {
        "engine": {"type": "string"},
        "status": {"const": "ok"},
        "server": {"type": "object"},
        "levels": {"type": "array", "minItems": 1, "items": _LEVEL},
        "saturation": {"type": "object"},
        "max_rate_meeting_slo": _NUM_OR_NULL,
        "max_concurrency_meeting_slo": {"type": ["integer", "null"]},
        "charts": {"type": "object", "additionalProperties": _CHART},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}
SERVING_BENCH_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["lab", "model", "device", "workload", "slo", "slo_target", "definitions", "engines"],
    "properties": {
        "lab": {"const": LAB},
        "model": {"type": "string"},
        "device": {"type": "string"},
        "workload": {"type": "object"},
        "slo": {"type": "object", "properties": {name: {"type": "number"} for name in SLO_FIELDS}},
        "slo_target": {"type": "number"},
        "definitions": {"type": "object", "additionalProperties": {"type": "string"}},
        "engines": {"type": "array", "minItems": 1, "items": {"oneOf": [
            _ENGINE_OK,
            {"type": "object", "required": ["engine", "status", "reason"],
             "properties": {"status": {"const": "unsupported"}, "reason": {"type": "string"}}},
            {"type": "object", "required": ["engine", "status", "error"],
             "properties": {"status": {"const": "error"}, "error": {"type": "string"}}},
        ]}},
    },
}


def is_loopback_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_slo(params: dict[str, Any]) -> None:
    slo = params.get("slo", {})
    if not isinstance(slo, dict):
        raise ContractError(f"{LAB} params: slo must be an object with any of {', '.join(SLO_FIELDS)}", "slo")
    for name, value in slo.items():
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
        if name in SLO_FIELDS and not ok:
            raise ContractError(f"{LAB} params: slo.{name} must be a positive number of milliseconds, "
                                f"got {short(repr(value), 60)}", f"slo/{name}")


def validate_params(params: dict[str, Any]) -> dict[str, Any]:
    """Check params (raising ContractError naming the field) and return a copy with every default filled."""
    if not isinstance(params, dict):
        raise ContractError(f"{LAB} params: must be an object", "")
    _check_slo(params)
    try:
        jsonschema.validate(params, SERVING_BENCH_PARAMS)
    except jsonschema.ValidationError as exc:
        field = "/".join(str(p) for p in exc.absolute_path)
        raise ContractError(f"{LAB} params: {short(exc.message)}" + (f" (at {field})" if field else ""),
                            field) from None
    filled = {k: v["default"] for k, v in SERVING_BENCH_PARAMS["properties"].items() if "default" in v}
    filled.update(params)
    if not filled["request_rates"] and not filled["concurrency"]:
        raise ContractError(f"{LAB} params: give at least one request rate or concurrency level", "request_rates")
    cap, duration = filled["max_requests_per_level"], filled["duration_s"]
    for i, rate in enumerate(filled["request_rates"]):
        if rate != "inf" and rate * duration > cap:
            raise ContractError(
                f"{LAB} params: request_rates[{i}] = {rate} req/s for duration_s = {duration} s would send about "
                f"{math.ceil(rate * duration)} requests, over max_requests_per_level = {cap}; lower the rate or "
                "the duration, or raise the cap", f"request_rates/{i}")
    url = filled["base_url"]
    if url is not None and url.rstrip("/").endswith("/v1"):  # the lab adds /v1/... itself: the same server
        url = filled["base_url"] = url.rstrip("/").removesuffix("/v1")
    if url is not None and not is_loopback_url(url):
        raise ContractError(f"{LAB} params: base_url {short(repr(url), 100)} is not a loopback address "
                            "(http://127.0.0.1:PORT, http://localhost:PORT or http://[::1]:PORT): the lab only "
                            "measures a server on the runner itself", "base_url")
    return filled


def _queue_need(filled: dict[str, Any]) -> tuple[str, str, str] | None:
    if filled["base_url"] is None and "vllm" in filled["engines"]:
        return "lab.vllm", "engines", "the vllm engine needs a runner with vLLM"
    return None


SPEC = LabSpec(slug=LAB, order=30, queues=("lab.cpu", "lab.cuda", "lab.vllm"), params=SERVING_BENCH_PARAMS,
               result=SERVING_BENCH_RESULT, validate_params=validate_params, queue_need=_queue_need,
               result_failure=no_entry_measured("engines", "engine"))
