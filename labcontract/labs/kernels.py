"""The kernel lab's contract: the learner's GEMM or softmax source and the sizes to judge it on, and the
result the runner posts (verdict, per-size timings and errors, the library beside it, the roofline).

Params: problem (gemm | softmax), target (cpu: C++ built with g++ -O3 -march=native -fopenmp; cuda: a .cu
built with nvcc, which needs lab.cuda), source (one file), sizes ([M, N, K] for gemm, [rows, cols] for
softmax; null: the runner's default set), warmup, repeats, threads (null: every CPU of the runner), library
(measure the library at the same sizes).

Result: {"lab": "kernels", "problem", "target", "status": ok | WA | RE | TLE | CE | REJECTED | UNAVAILABLE |
unsupported, "message", "reason"? (unsupported), "compile"?: {"ok", "command", "message", "seconds"}, "machine"?:
{"cpu", "threads", "llc_bytes", "flush_bytes", "gpu"}, "settings"?, "sizes"?: [{"dims", "status": ok | WA | RE |
TLE | CE | skipped, "time_s": STATS, "gflop_s", "gb_s", "intensity", "max_error", "checked", "first_bad"?: {"run",
"row", "col", "got", "expected", "allowed_abs_error"}, "library"?: {"time_s", "gflop_s"}, "share_of_library",
"share_of_bound", "message"?}], "library"?: {...names and threadpoolctl's report}, "roofline"?: {"copy": {"gb_s",
...} | {"error"}, "peak_gflop_s", "ridge_intensity", "datasheet", "points": [{"who": kernel | library, "dims",
"intensity", "gflop_s", "bound_gflop_s", "share_of_bound"}]}, "notes"?}.
A result whose kernel never ran (CE, REJECTED, UNAVAILABLE, unsupported), or ran wrong (WA), crashed (RE) or past
its limit (TLE), makes the job a failure; its report is stored for the page.
"""

from __future__ import annotations

from typing import Any

from labcontract.errors import ContractError
from labcontract.labs.spec import LabSpec

LAB = "kernels"
QUEUES = ("lab.cpu", "lab.cuda")
PROBLEMS = ("gemm", "softmax")
TARGETS = ("cpu", "cuda")
# "ok": every run of every size matched; "unsupported" (with "reason"): this runner cannot build or run the target.
STATUSES = ("ok", "WA", "RE", "TLE", "CE", "REJECTED", "UNAVAILABLE", "unsupported")
FAILED_STATUSES = ("CE", "REJECTED", "UNAVAILABLE", "unsupported")
SOURCE_MAX_BYTES = 256 * 1024
MAX_DIM = 16384
# Every run's whole output comes back to be judged: this many floats per size at most (outputs x runs).
MAX_OUTPUT_FLOATS = 1 << 28
MAX_INPUT_FLOATS = 1 << 27

PARAMS = {
    "type": "object",
    "required": ["source"],
    "additionalProperties": False,
    "properties": {
        "problem": {"enum": list(PROBLEMS), "default": "gemm"},
        "target": {"enum": list(TARGETS), "default": "cpu"},
        "source": {"type": "string", "minLength": 1, "maxLength": SOURCE_MAX_BYTES},
        "sizes": {"type": ["array", "null"], "default": None, "minItems": 1, "maxItems": 8,
                  "items": {"type": "array", "minItems": 2, "maxItems": 3,
                            "items": {"type": "integer", "minimum": 1, "maximum": MAX_DIM}}},
        "warmup": {"type": "integer", "minimum": 0, "maximum": 5, "default": 1},
        "repeats": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
        "threads": {"type": ["integer", "null"], "minimum": 1, "maximum": 512, "default": None},
        "library": {"type": "boolean", "default": True},
    },
}


def check_params(filled: dict[str, Any], device: str | None = None) -> None:
    """Sizes fit the problem ([M, N, K] or [rows, cols]) and what one size may send back; the source is within
    its byte cap once encoded. Raises ContractError(message, field)."""
    if len(filled["source"].encode()) > SOURCE_MAX_BYTES:
        raise ContractError(f"kernels params: source is over {SOURCE_MAX_BYTES} bytes (UTF-8)", "source")
    want = 3 if filled["problem"] == "gemm" else 2
    runs = filled["warmup"] + filled["repeats"]
    for i, dims in enumerate(filled["sizes"] or []):
        field = f"sizes/{i}"
        if len(dims) != want:
            shape = "[M, N, K]" if want == 3 else "[rows, cols]"
            raise ContractError(f"kernels params: a {filled['problem']} size is {shape}, got {dims} (at {field})",
                                field)
        inputs = dims[0] * dims[2] + dims[2] * dims[1] if want == 3 else dims[0] * dims[1]
        if inputs > MAX_INPUT_FLOATS or dims[0] * dims[1] * runs > MAX_OUTPUT_FLOATS:
            raise ContractError(f"kernels params: size {dims} is too large: inputs at most {MAX_INPUT_FLOATS} floats, "
                        f"outputs x runs at most {MAX_OUTPUT_FLOATS} (at {field})", field)


def queue_need(filled: dict[str, Any]) -> tuple[str, str, str] | None:
    if filled["target"] == "cuda":
        return "lab.cuda", "target", "the cuda target builds with nvcc and runs on a CUDA GPU"
    return None


# A kernel that ran but is wrong, crashed or ran out of time is not a success either (it must never stand as the
# learner's evidence); its per-size report is kept for the page. The errors are labcontract.stages.FAILURES codes.
_VERDICT_WORDS = {"WA": "gives wrong results", "RE": "crashed", "TLE": "ran past its time limit"}


def result_failure(result: dict[str, Any]) -> str | None:
    status = result.get("status")
    if status in FAILED_STATUSES:
        return f"{status}: {result.get('message') or 'the kernel did not run'}"[:4000]
    if status in _VERDICT_WORDS:
        sizes = [s for s in result.get("sizes") or [] if isinstance(s, dict)]
        bad = sum(1 for s in sizes if s.get("status") == status)
        if sizes and bad:
            return f"{status}: the kernel {_VERDICT_WORDS[status]} on {bad} of {len(sizes)} sizes"
        return f"{status}: the kernel {_VERDICT_WORDS[status]}"
    return None


_NUM = {"type": "number"}
_NUM_OR_NULL = {"type": ["number", "null"]}
_NUM_OR_TEXT = {"type": ["number", "string"]}  # NaN and inf travel as their names
_STATS = {"type": "object", "required": ["n", "median"],
          "properties": {k: _NUM for k in ("n", "mean", "median", "p90", "min", "max")}}
_DIMS = {"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "integer", "minimum": 1}}

_SIZE = {
    "type": "object",
    "required": ["dims", "status"],
    "properties": {
        "dims": _DIMS,
        "status": {"enum": ["ok", "WA", "RE", "TLE", "CE", "skipped"]},
        "time_s": _STATS,
        "gflop_s": _NUM, "gb_s": _NUM, "intensity": _NUM, "max_error": _NUM_OR_NULL,
        "share_of_library": _NUM_OR_NULL, "share_of_bound": _NUM_OR_NULL,
        "checked": {"type": "string"}, "message": {"type": "string"},
        "first_bad": {"type": "object", "required": ["run", "row", "col", "got", "expected"],
                      "properties": {"run": {"type": "integer"}, "row": {"type": "integer"},
                                     "col": {"type": "integer"}, "got": _NUM_OR_TEXT, "expected": _NUM_OR_TEXT,
                                     "allowed_abs_error": _NUM_OR_TEXT}},
        "library": {"type": "object", "required": ["time_s", "gflop_s"],
                    "properties": {"time_s": _STATS, "gflop_s": _NUM}},
    },
    "allOf": [{"if": {"properties": {"status": {"const": "ok"}}}, "then": {"required": ["time_s", "max_error"]}},
              {"if": {"properties": {"status": {"const": "WA"}}}, "then": {"required": ["first_bad"]}}],
}

_POINT = {
    "type": "object",
    "required": ["who", "dims", "intensity", "gflop_s"],
    "properties": {"who": {"enum": ["kernel", "library"]}, "dims": _DIMS, "intensity": _NUM, "gflop_s": _NUM,
                   "gb_s": _NUM, "bound_gflop_s": _NUM_OR_NULL, "share_of_bound": _NUM_OR_NULL},
}

RESULT = {
    "type": "object",
    "required": ["lab", "problem", "target", "status", "message"],
    "properties": {
        "lab": {"const": LAB},
        "problem": {"enum": list(PROBLEMS)},
        "target": {"enum": list(TARGETS)},
        "status": {"enum": list(STATUSES)},
        "message": {"type": "string"},
        "source_bytes": {"type": "integer", "minimum": 0},
        "compile": {"type": "object", "required": ["ok", "message"],
                    "properties": {"ok": {"type": "boolean"}, "command": {"type": "string"},
                                   "message": {"type": "string"}, "seconds": _NUM}},
        "machine": {"type": "object", "properties": {"cpu": {"type": "string"}, "threads": {"type": "integer"},
                                                     "llc_bytes": {"type": ["integer", "null"]},
                                                     "flush_bytes": {"type": "integer"},
                                                     "gpu": {"type": ["string", "null"]}}},
        "sizes": {"type": "array", "items": _SIZE},
        "library": {"type": ["object", "null"]},
        "roofline": {"type": "object", "required": ["copy", "peak_gflop_s", "points"],
                     "properties": {"copy": {"type": "object"}, "peak_gflop_s": _NUM_OR_NULL,
                                    "ridge_intensity": _NUM_OR_NULL, "datasheet": {"type": ["object", "null"]},
                                    "points": {"type": "array", "items": _POINT}}},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
    # A kernel that was built and run has a verdict per size.
    "if": {"properties": {"status": {"enum": ["ok", "WA", "RE", "TLE"]}}},
    "then": {"required": ["compile", "sizes"]},
}


SPEC = LabSpec(slug=LAB, order=70, queues=QUEUES, params=PARAMS, result=RESULT, check_params=check_params,
               queue_need=queue_need, result_failure=result_failure)
