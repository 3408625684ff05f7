"""Run one Python submission against its tests in the sandbox and collect what it returned (no verdicts here).

Expected answers never enter the sandbox: this module only gathers actual outputs, times and memory from
the harness's results channel, checking that channel's framing; ``grading.grade`` compares outside.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sandbox
from sandbox import Limits, Outcome

MAX_SOURCE_BYTES = 64 * 1024
UNSAFE_ENV = "DEPLOYDOJO_UNSAFE_NO_SANDBOX"


def unsandboxed_allowed() -> bool:
    """The development override, parsed strictly as the site's settings parse it (the site passes its own
    setting explicitly; this is for the judge used on its own)."""
    value = os.environ.get(UNSAFE_ENV, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"{UNSAFE_ENV}={value!r} is not a boolean: use 1/0, true/false, yes/no, on/off")
HARNESS = Path(__file__).with_name("harness.py")
# Interpreter start-up (and numpy import) is not the learner's time: the rlimit gets this on top of
# limits.cpu_s, while the harness's own timer holds the learner's code to limits.cpu_s exactly.
STARTUP_CPU_S = 1.0
CHANNEL_BYTES = 64 << 20
_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class TestRun:
    """What one test did. status: ok, exc, recursion, bad_output, tle, mle, ole."""

    __test__ = False  # not a pytest test class, despite the name

    status: str
    actual: Any = None
    time_ms: float = 0.0
    memory_kb: int = 0
    message: str = ""


@dataclass
class RunReport:
    args: list[list]
    tests: list[TestRun] = field(default_factory=list)
    compile_error: str | None = None
    internal_error: str | None = None
    # Set when the run as a whole cannot be trusted (tampered channel, crashed harness); every test fails.
    failure: str | None = None
    complexity: dict | None = None
    complexity_peaks: list[int] | None = None
    complexity_error: str | None = None
    unsandboxed: bool = False
    wall_s: float = 0.0
    cpu_s: float = 0.0
    stderr: str = ""


def run_submission(
    source: str,
    *,
    entry: str,
    tests: list[list],
    limits: Limits,
    numpy_args: bool = False,
    complexity: dict | None = None,
    complexity_args: list[list] | None = None,
    allow_unsandboxed: bool | None = None,
    python: str = "/usr/bin/python3",
) -> RunReport:
    """Run ``entry(*args)`` for every test in one sandboxed interpreter; never raises for anything the code does."""
    report = RunReport(args=tests, complexity=complexity if complexity_args else None)
    try:
        encoded = source.encode("utf-8")
    except UnicodeEncodeError as exc:
        report.compile_error = f"source is not valid UTF-8 text: {exc.reason}"
        return report
    if len(encoded) > MAX_SOURCE_BYTES:
        report.compile_error = f"source is {len(encoded)} bytes; the limit is {MAX_SOURCE_BYTES} bytes"
        return report
    ok, why = sandbox.available()
    unsafe = unsandboxed_allowed() if allow_unsandboxed is None else allow_unsandboxed
    if not ok and not unsafe:
        report.internal_error = why
        return report
    try:
        files, tests_stdin = sandbox_inputs(encoded, entry=entry, tests=tests, numpy_args=numpy_args,
                                            cpu_s=limits.cpu_s, complexity_args=complexity_args)
    except (TypeError, ValueError) as exc:
        report.internal_error = f"tests are not JSON values: {exc}"
        return report
    nonce = secrets.token_hex(16)
    run_limits = replace(
        limits, cpu_s=limits.cpu_s + STARTUP_CPU_S, stdout_bytes=max(limits.stdout_bytes or 0, CHANNEL_BYTES)
    )
    argv = [python, "-I", "-B", "harness.py"]
    if ok:
        outcome = sandbox.run(argv, limits=run_limits, stdin=nonce.encode() + b"\n" + tests_stdin, files=files,
                              env=_THREAD_ENV)
    else:
        report.unsandboxed = True
        outcome = sandbox.run_unconfined(
            argv, limits=run_limits, stdin=nonce.encode() + b"\n" + tests_stdin, files=files, env=_THREAD_ENV
        )
    _fill(report, outcome, nonce, limits)
    return report


def sandbox_inputs(
    source: bytes, *, entry: str, tests: list[list], numpy_args: bool, cpu_s: float,
    complexity_args: list[list] | None = None,
) -> tuple[dict[str, bytes], bytes]:
    """The work-dir files of a run (solution, harness, job.json without any test) and the tests as the stdin lines
    that follow the nonce: the harness's supervisor reads them where the learner's code cannot. Raises TypeError
    or ValueError for tests that are not JSON values."""
    job = {"entry": entry, "n_tests": len(tests), "numpy_args": numpy_args, "cpu_s": cpu_s,
           "complexity_args": complexity_args or []}
    lines = b"".join(json.dumps(args).encode() + b"\n" for args in tests)
    files = {"solution.py": source, "harness.py": HARNESS.read_bytes(), "job.json": json.dumps(job).encode()}
    return files, lines


def _fill(report: RunReport, outcome: Outcome, nonce: str, limits: Limits) -> None:
    report.wall_s, report.cpu_s = outcome.wall_s, outcome.cpu_s
    report.stderr = outcome.stderr[-4096:].decode("utf-8", "replace")
    if outcome.error:
        report.internal_error = outcome.error
        return
    records, end, problem = parse_channel(outcome.stdout, nonce, len(report.args))
    truncated_channel = outcome.output_truncated and outcome.truncated_stream == "stdout"
    if problem and not (outcome.timed_out or outcome.output_truncated):
        _fail_all(report, f"the results channel was corrupted ({problem})")
        return
    if end and end["tampered"]:
        _fail_all(report, f"the harness rejected the worker's results ({end['tampered']})")
        return
    for record in records:
        kind = record["kind"]
        if kind == "ce":
            report.compile_error = record["message"]
            return
        if kind == "import_error":
            status = record["status"] if record.get("status") in ("tle", "mle", "exc") else "exc"
            report.tests = [TestRun(status, message=record["message"]) for _ in report.args]
            return
        if kind == "test":
            report.tests.append(
                TestRun(
                    record["status"],
                    record["actual"],
                    float(record["time_ms"]),
                    int(record["memory_kb"]),
                    record["message"],
                )
            )
        elif kind == "complexity":
            report.complexity_peaks = record["peaks"]
            report.complexity_error = record.get("error") or None
    missing = len(report.args) - len(report.tests)
    if missing > 0:
        status, message = _why_stopped(outcome, end, limits, truncated_channel)
        report.tests += [TestRun(status, message=message) for _ in range(missing)]
    elif report.complexity and report.complexity_peaks is None and not (end and end["finished"]):
        status, message = _why_stopped(outcome, end, limits, truncated_channel)
        report.complexity_error = f"{message} (while measuring complexity)"


def _fail_all(report: RunReport, message: str) -> None:
    report.failure = message
    report.tests = [TestRun("exc", message=message) for _ in report.args]


def _why_stopped(outcome: Outcome, end: dict | None, limits: Limits, truncated_channel: bool) -> tuple[str, str]:
    """Verdict status for tests that never reported, from what was observed outside the sandbox."""
    if outcome.timed_out:
        return "tle", f"wall-clock limit of {limits.wall_s:g} s exceeded"
    if outcome.output_truncated:
        if truncated_channel:
            return "ole", "results too large"
        return "ole", f"output limit of {limits.output_bytes} bytes exceeded"
    if end:
        sig = end.get("signal")
        if sig in (signal.SIGKILL, signal.SIGXCPU) and end.get("cpu_s", 0) >= limits.cpu_s:
            return "tle", f"CPU time limit of {limits.cpu_s:g} s exceeded"
        if sig:
            return "exc", f"killed by signal {_signame(sig)}"
        last = _last_line(outcome.stderr)
        return "exc", f"the program exited (code {end.get('exit')}) before all tests ran" + (
            f": {last}" if last else ""
        )
    if outcome.signal == signal.SIGKILL and outcome.cpu_s >= limits.cpu_s:
        return "tle", f"CPU time limit of {limits.cpu_s:g} s exceeded"
    return "exc", "the judge harness stopped unexpectedly" + (
        f" (signal {_signame(outcome.signal)})" if outcome.signal else f" (exit {outcome.returncode})"
    )


def _signame(sig: int | None) -> str:
    try:
        return signal.Signals(sig).name
    except (ValueError, TypeError):
        return str(sig)


def _last_line(data: bytes) -> str:
    lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else ""


def parse_channel(stdout: bytes, nonce: str, n_tests: int) -> tuple[list[dict], dict | None, str]:
    """Split the supervisor's ``<nonce> <json>`` lines into records and the END record; a problem string if bad.

    Every line must carry this run's nonce, records must come in protocol order (an error record, or tests
    0..n-1 then optionally complexity then done), each exactly once, then one END line and nothing after.
    """
    records: list[dict] = []
    end = None
    lines = stdout.split(b"\n")
    partial = lines.pop()  # non-empty when the run was cut off mid-record
    prefix = nonce.encode() + b" "
    seq = 0
    for raw in lines:
        if end is not None:
            return records, end, "data after the end record"
        if not raw.startswith(prefix):
            return records, None, "a line without this run's nonce"
        try:
            record = json.loads(raw[len(prefix) :])
        except ValueError:
            return records, None, "malformed record"
        kind = record.get("kind") if isinstance(record, dict) else None
        done = bool(records) and records[-1]["kind"] in ("done", "ce", "import_error")
        if kind == "end":
            end = record
            continue
        if done:
            return records, None, "record after the final one"
        if kind == "test" and record.get("seq") != seq:
            return records, None, f"test record out of order where {seq} was due"
        if kind in ("ce", "import_error") and records:
            return records, None, "error record after other records"
        if kind not in ("test", "complexity", "done", "ce", "import_error"):
            return records, None, "unknown record kind"
        if kind in ("complexity", "done") and seq != n_tests:
            return records, None, f"{kind} record before all tests"
        seq += kind == "test"
        if seq > n_tests:
            return records, None, "more test records than tests"
        records.append(record)
    if partial:
        return records, None, "output does not end with a complete record"
    if end is None:
        return records, None, "no end record"
    if not isinstance(end.get("tampered"), str):
        return records, None, "malformed end record"
    return records, end, ""
