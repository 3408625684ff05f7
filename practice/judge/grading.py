"""Turn a RunReport into verdicts, outside the sandbox: compare outputs, fit the complexity exponent.

Overall verdict priority (documented for the UI and tests):
  1. CE  — the source could not be used at all (too large, syntax error, no entry function);
  2. IE  — the judge itself failed (no sandbox, sandbox start failure, custom checker crashed);
  3. the verdict of the first non-AC test in test order (WA, TLE, MLE, RE, OLE); a run whose results
     cannot be trusted (tampered or corrupted channel) has every test RE;
  4. WA  — all tests passed but the complexity measurement exceeded its bound;
  5. AC.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .runner import RunReport

VERDICTS = ("AC", "WA", "TLE", "MLE", "RE", "OLE", "CE", "IE")
_STATUS_VERDICT = {"tle": "TLE", "mle": "MLE", "ole": "OLE", "exc": "RE", "recursion": "RE", "bad_output": "WA"}
_SHOW_CHARS = 200
# What a hidden test's failure may say: its verdict and, for an exception, the built-in type's name. Anything the
# solution controls (the exception's text, its own class names, what it printed, its exit code, the signal it sent
# itself) could carry the hidden input out, so none of it is shown.
_BUILTIN_EXCEPTIONS = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
)
_HIDDEN_REASON = {
    "tle": "time limit exceeded",
    "mle": "memory limit exceeded",
    "ole": "output limit exceeded",
    "bad_output": "the result is not a JSON value",
    "recursion": "runtime error (RecursionError)",
}


@dataclass
class TestVerdict:
    __test__ = False  # not a pytest test class, despite the name

    verdict: str
    time_ms: float
    memory_kb: int
    message: str = ""
    kind: str = ""


@dataclass
class Verdict:
    verdict: str
    score: float
    passed: int
    total: int
    message: str = ""
    tests: list[TestVerdict] = field(default_factory=list)
    complexity_exponent: float | None = None
    unsandboxed: bool = False


def grade(
    report: RunReport,
    *,
    expected: list,
    checker: str = "exact",
    tolerance: dict | None = None,
    custom_check: Callable | None = None,
    kinds: list[str] | None = None,
) -> Verdict:
    """Compare each actual output with its expected answer; ``kinds`` labels tests (e.g. "example", "hidden")."""
    total = len(report.args)
    if report.compile_error is not None:
        return Verdict("CE", 0.0, 0, total, report.compile_error, unsandboxed=report.unsandboxed)
    if report.internal_error is not None:
        return Verdict("IE", 0.0, 0, total, report.internal_error, unsandboxed=report.unsandboxed)
    if len(expected) != total or len(report.tests) != total:
        return Verdict(
            "IE",
            0.0,
            0,
            total,
            f"{total} tests but {len(expected)} answers and {len(report.tests)} results",
            unsandboxed=report.unsandboxed,
        )
    compare = _comparator(checker, tolerance or {}, custom_check)
    labels = kinds or [""] * total
    tests = [_grade_one(i, run, report.args[i], expected[i], compare, labels[i]) for i, run in enumerate(report.tests)]
    passed = sum(t.verdict == "AC" for t in tests)
    verdict = Verdict(
        "AC", passed / total if total else 0.0, passed, total, tests=tests, unsandboxed=report.unsandboxed
    )
    if any(t.verdict == "IE" for t in tests):
        first = next(t for t in tests if t.verdict == "IE")
        verdict.verdict, verdict.message = "IE", first.message
    elif passed < total:
        first = next(t for t in tests if t.verdict != "AC")
        verdict.verdict, verdict.message = first.verdict, report.failure or first.message
    elif report.complexity:
        _grade_complexity(report, verdict)
    return verdict


def hidden_reason(status: str, message: str) -> str:
    """A hidden test's failure in words that carry nothing the solution chose (see _BUILTIN_EXCEPTIONS)."""
    if status in _HIDDEN_REASON:
        return _HIDDEN_REASON[status]
    name = (message or "").split(":", 1)[0].strip()
    return f"runtime error ({name})" if name in _BUILTIN_EXCEPTIONS else "runtime error"


def _grade_one(index: int, run: Any, args: list, expected: Any, compare: Callable, kind: str) -> TestVerdict:
    if run.status != "ok":
        detail = hidden_reason(run.status, run.message) if kind == "hidden" else run.message
        return TestVerdict(
            _STATUS_VERDICT.get(run.status, "RE"), run.time_ms, run.memory_kb, f"test {index + 1}: {detail}", kind
        )
    try:
        good = bool(compare(args, expected, run.actual))
    except Exception as exc:  # noqa: BLE001 - a checker crash is the judge's fault, not the learner's
        return TestVerdict("IE", run.time_ms, run.memory_kb, f"checker failed on test {index + 1}: {exc!r}", kind)
    if good:
        return TestVerdict("AC", run.time_ms, run.memory_kb, "", kind)
    if kind == "hidden":
        message = f"test {index + 1}: wrong answer"
    else:
        message = f"test {index + 1}: expected {_show(expected)}, got {_show(run.actual)}"
    return TestVerdict("WA", run.time_ms, run.memory_kb, message, kind)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOW_CHARS else text[:_SHOW_CHARS] + "…"


def _comparator(checker: str, tolerance: dict, custom_check: Callable | None) -> Callable:
    if checker == "exact":
        return lambda args, expected, actual: exact_equal(expected, actual)
    if checker == "float":
        rel, abs_ = float(tolerance.get("rel", 1e-9)), float(tolerance.get("abs", 0.0))
        return lambda args, expected, actual: close_equal(expected, actual, rel, abs_)
    if checker == "custom":
        if custom_check is None:
            raise ValueError("checker 'custom' needs custom_check")
        return custom_check
    raise ValueError(f"unknown checker {checker!r}")


def exact_equal(expected: Any, actual: Any) -> bool:
    """JSON equality where true/false are not the numbers 1/0 (3 and 3.0 are equal)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(exact_equal(e, a) for e, a in zip(expected, actual, strict=False))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(exact_equal(v, actual[k]) for k, v in expected.items())
        )
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return expected == actual
    return type(expected) is type(actual) and expected == actual


def close_equal(expected: Any, actual: Any, rel: float, abs_: float) -> bool:
    """Like exact_equal, but numbers match within rel/abs tolerance (NaN only matches NaN)."""
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(close_equal(e, a, rel, abs_) for e, a in zip(expected, actual, strict=False))
        )
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        if not isinstance(actual, (int, float)) or isinstance(actual, bool):
            return False
        if math.isnan(expected) or math.isnan(actual):
            return math.isnan(expected) and math.isnan(actual)
        return math.isclose(expected, actual, rel_tol=rel, abs_tol=abs_)
    return exact_equal(expected, actual)


def fit_exponent(sizes: list[float], values: list[float]) -> float:
    """Least-squares slope of log(value) against log(size): the k in value ~ size^k."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(max(v, 1)) for v in values]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    denom = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=False)) / denom if denom else 0.0


def _grade_complexity(report: RunReport, verdict: Verdict) -> None:
    spec = report.complexity or {}
    if report.complexity_error or report.complexity_peaks is None:
        error = report.complexity_error or "no complexity measurement came back"
        verdict.verdict = "TLE" if "time limit" in error else "RE"
        verdict.message = f"complexity measurement failed: {error}"
        return
    sizes = spec.get("sizes") or []
    if len(sizes) != len(report.complexity_peaks) or len(sizes) < 2:
        verdict.verdict, verdict.message = "IE", "complexity sizes and measurements do not match"
        return
    exponent = fit_exponent(sizes, report.complexity_peaks)
    verdict.complexity_exponent = round(exponent, 2)
    limit = float(spec.get("max_exponent", 1.0))
    if exponent > limit:
        bound = spec.get("bound", f"n^{limit:g}")
        verdict.verdict = "WA"
        verdict.message = f"peak memory grows as n^{exponent:.2f}, required {bound} (≤ n^{limit:g})"
