"""The runner's side of the wire: Celery queues and task names, the job payload, the runner HTTP API's bodies and
the rule for what may be stored (see labcontract/__init__.py for the API's routes and errors)."""

from __future__ import annotations

import json
import math
from typing import Any

import jsonschema

from labcontract.errors import ContractError, short

API_PREFIX = "/api/runner/"
MAX_BODY_BYTES = 256 * 1024
HEARTBEAT_INTERVAL_S = 30
HEARTBEAT_TIMEOUT_S = 120  # a runner silent this long is offline; its running jobs are failed/retried

# Capability queues, least capable first: a runner serving lab.vllm serves lab.cuda too
# (gpu_runner/service/capabilities.py).
QUEUES = ("lab.cpu", "lab.cuda", "lab.vllm")
# Regex engines a C++ tokenizer submission may use (qwen.cpp uses RE2; PCRE2 also has Qwen's lookahead), linked
# when the runner has them: `#define PCRE2_CODE_UNIT_WIDTH 8` + <pcre2.h> (-lpcre2-8), <re2/re2.h> (-lre2).
CPP_REGEX_LIBRARIES = ("pcre2", "re2")

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
        "lab": {"type": "string", "maxLength": 100},  # one of LABS: validate() checks
        "params": {"type": "object"},
    },
}

CAPABILITIES = {
    "type": "object",
    "required": ["cpu", "ram_bytes", "cuda_devices", "versions", "queues"],
    "properties": {
        # {"model": str, "cores": int, "physical_cores": int, "memory_bandwidth_gb_s": float (a measured copy),
        #  "matmul_gflops": float (a measured fp32 matmul)}; the two figures are absent from older runners
        "cpu": {"type": "object", "properties": {"memory_bandwidth_gb_s": {"type": "number", "exclusiveMinimum": 0},
                                                 "matmul_gflops": {"type": "number", "exclusiveMinimum": 0}}},
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
        # The models a lab's `model` field may name here: built-in refs ("smollm2-135m", "fixture") and absolute
        # paths of the model directories under the runner's models folder (absent: an older runner, not checked).
        "models": {"type": "array", "maxItems": 210, "items": {"type": "string", "minLength": 1, "maxLength": 500}},
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


MAX_DEPTH = 64  # no contract body nests deeper; deeper input is refused before any recursive walk
# The bound of every integer the site stores from a runner or a record (|n| <= a PostgreSQL bigint): a
# 400-digit RAM size is tampering, and no page could format it (float() overflows; str() of one over 4,300
# digits raises).
INT_LIMIT = 2**63 - 1


class HugeInteger:
    """An integer of JSON text beyond INT_LIMIT, kept unconverted (Python will not even convert one of more
    than 4,300 digits) so that check_storable can refuse it naming its place."""

    def __init__(self, text: str) -> None:
        self.digits = len(text.lstrip("-"))

    def __repr__(self) -> str:
        return f"<an integer of {self.digits} digits>"


def parse_int(text: str) -> int | HugeInteger:
    """json.loads' parse_int: an int within INT_LIMIT, else a HugeInteger (never int() of 4,301 digits)."""
    if len(text) > 20:
        return HugeInteger(text)
    value = int(text)
    return value if -INT_LIMIT <= value <= INT_LIMIT else HugeInteger(text)


def loads(text: str | bytes) -> Any:
    """JSON text as the runner API and the record import read it: integers beyond INT_LIMIT come back as
    HugeInteger (for check_storable to refuse), NaN/Infinity as floats (refused there too). Raises ValueError
    (json.JSONDecodeError, UnicodeDecodeError) for text that is not JSON, RecursionError for hostile nesting."""
    return json.loads(text, parse_int=parse_int)


def check_storable(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse what PostgreSQL cannot store in text or jsonb — NUL and lone surrogates in any string or key,
    NaN/Infinity — integers beyond INT_LIMIT (a HugeInteger from loads, or a Python int) and nesting past
    max_depth. Walks without recursion (the input may be hostile) and raises
    ContractError("<path>: <what>", field=<path>) at the first offence. The site's runner API and its record
    import both use it."""
    stack: list[tuple[Any, tuple, int]] = [(value, (), 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, float) and not math.isfinite(item):
            raise _offence(path, f"{item} is not a finite number")
        elif isinstance(item, HugeInteger) or (isinstance(item, int) and not -INT_LIMIT <= item <= INT_LIMIT):
            digits = item.digits if isinstance(item, HugeInteger) else int(abs(item).bit_length() * 0.30103) + 1
            raise _offence(path, f"an integer of {digits} digits; integers are stored up to 2**63 - 1")
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
        raise ContractError(f"{kind}: {short(exc.message)}" + (f" (at {field})" if field else ""), field) from None
    if kind == "payload":
        from labcontract.labs import LABS  # the labs are defined on top of this module

        if body["lab"] not in LABS:
            raise ContractError(f"payload: unknown lab {short(repr(body['lab']), 60)}", "lab")

