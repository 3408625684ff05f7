"""The judge core end to end: hostile and honest Python submissions get the verdict a learner would expect."""

from __future__ import annotations

import json
import secrets
import time

import psutil
import pytest

import sandbox
from practice.judge import RunReport, TestRun, grade, load_checker, run_submission
from practice.judge import runner as judge_runner
from practice.judge.runner import parse_channel
from sandbox import Limits

LIMITS = Limits(cpu_s=1, wall_s=4, memory_mb=192, procs=16, output_bytes=64 * 1024, disk_mb=8)
ADD_TESTS = [[1, 2], [3, 4], [10, -10]]
ADD_EXPECTED = [3, 7, 0]

needs_bwrap = pytest.mark.skipif(not sandbox.available()[0], reason="bubblewrap cannot run here")


def judge(source: str, tests=ADD_TESTS, expected=ADD_EXPECTED, limits=LIMITS, **kwargs):
    report = run_submission(source, entry="add", tests=tests, limits=limits, **kwargs)
    return report, grade(report, expected=expected)


@needs_bwrap
def test_correct_solution_is_accepted_with_time_and_memory():
    report, verdict = judge("def add(a, b):\n    return a + b\n")
    assert verdict.verdict == "AC" and verdict.score == 1.0, report
    assert all(t.memory_kb > 1000 and t.time_ms >= 0 for t in verdict.tests)
    assert not report.unsandboxed


@needs_bwrap
def test_wrong_solution_gets_wa_with_expected_and_actual():
    _, verdict = judge("def add(a, b):\n    return 0 if a == 3 else a + b\n")
    assert verdict.verdict == "WA"
    assert verdict.passed == 2 and verdict.score == pytest.approx(2 / 3)
    assert verdict.message == "test 2: expected 7, got 0"


@needs_bwrap
def test_syntax_error_is_ce_with_the_compiler_message():
    _, verdict = judge("def add(a, b)\n    return a + b\n")
    assert verdict.verdict == "CE"
    assert "SyntaxError" in verdict.message and "line 1" in verdict.message


@needs_bwrap
def test_missing_entry_function_is_ce():
    _, verdict = judge("def plus(a, b):\n    return a + b\n")
    assert verdict.verdict == "CE" and "'add'" in verdict.message


def test_source_over_64_kib_is_refused_without_running():
    _, verdict = judge("x = 1\n" * 12000 + "def add(a, b):\n    return a + b\n")
    assert verdict.verdict == "CE" and "limit is 65536 bytes" in verdict.message


@needs_bwrap
def test_exception_is_re_with_the_last_traceback_line():
    _, verdict = judge("def add(a, b):\n    return a / (b - 2)\n")
    assert verdict.verdict == "RE"
    assert verdict.tests[0].message == "test 1: ZeroDivisionError: division by zero (solution.py line 2)"
    assert [t.verdict for t in verdict.tests] == ["RE", "WA", "WA"]


@needs_bwrap
def test_deep_recursion_is_re_and_memory_bomb_is_mle():
    _, verdict = judge("def add(a, b):\n    return add(a, b)\n")
    assert verdict.verdict == "RE" and "RecursionError" in verdict.message
    _, verdict = judge("def add(a, b):\n    return len(bytearray(1 << 30))\n")
    assert verdict.verdict == "MLE"


@needs_bwrap
def test_infinite_loop_makes_the_remaining_tests_tle():
    _, verdict = judge("def add(a, b):\n    if a == 3:\n        while True:\n            pass\n    return a + b\n")
    assert [t.verdict for t in verdict.tests] == ["AC", "TLE", "TLE"]
    assert verdict.verdict == "TLE"


@needs_bwrap
def test_swallowing_the_timer_still_ends_in_tle():
    source = (
        "def add(a, b):\n    while True:\n        try:\n            while True:\n                pass\n"
        "        except BaseException:\n            pass\n"
    )
    _, verdict = judge(source)
    assert [t.verdict for t in verdict.tests] == ["TLE", "TLE", "TLE"]


@needs_bwrap
def test_sleeping_forever_hits_the_wall_clock_and_is_tle():
    start = time.monotonic()
    _, verdict = judge("import time\ndef add(a, b):\n    time.sleep(3600)\n", limits=Limits(cpu_s=1, wall_s=1.5))
    assert verdict.verdict == "TLE" and "wall-clock" in verdict.message
    assert time.monotonic() - start < 4


@needs_bwrap
def test_output_flood_is_ole():
    _, verdict = judge("import sys\ndef add(a, b):\n    while True:\n        sys.stdout.write('x' * 65536)\n")
    assert verdict.verdict == "OLE"


@needs_bwrap
def test_prints_and_invalid_utf8_do_not_disturb_the_results():
    source = (
        "import os, sys\ndef add(a, b):\n    print('debug', a)\n    os.write(1, b'\\xff\\xfe')\n"
        "    sys.stderr.buffer.write(b'\\x80')\n    return a + b\n"
    )
    report, verdict = judge(source)
    assert verdict.verdict == "AC"
    assert "debug 1" in report.stderr and "\ufffd" in report.stderr


@needs_bwrap
def test_fork_and_thread_bombs_fail_and_the_caller_survives():
    fork = (
        "import os\ndef add(a, b):\n    while True:\n        try:\n            os.fork()\n        except OSError:\n"
        "            pass\n"
    )
    threads = (
        "import threading, time\ndef add(a, b):\n    while True:\n"
        "        threading.Thread(target=time.sleep, args=(60,)).start()\n"
    )
    for source in (fork, threads):
        _, verdict = judge(source)
        assert verdict.verdict in ("TLE", "RE"), verdict
    assert judge("def add(a, b):\n    return a + b\n")[1].verdict == "AC"


@needs_bwrap
def test_submission_cannot_reach_services_files_or_secrets(monkeypatch):
    secret = f"s3cret-{secrets.token_hex(8)}"
    monkeypatch.setenv("DEPLOYDOJO_TEST_SECRET", secret)
    source = (
        "import os, socket, glob\ndef add(a, b):\n    seen = []\n"
        "    for addr in [('127.0.0.1', 6379), ('127.0.0.1', 5432), ('93.184.216.34', 80)]:\n"
        "        try:\n            socket.create_connection(addr, timeout=1).close(); seen.append(addr[1])\n"
        "        except OSError:\n            pass\n"
        "    for p in ['/work/main/manage.py', '/work/main/config', '/work/job.json.expected']:\n"
        "        if os.path.exists(p):\n            seen.append(p)\n"
        "    blob = repr(dict(os.environ))\n"
        "    for p in glob.glob('/proc/*/environ'):\n"
        "        try:\n            blob += open(p, 'rb').read().decode('latin-1')\n        except OSError:\n            pass\n"  # noqa: E501
        f"    if {secret!r} in blob:\n        seen.append('secret')\n"
        "    return seen\n"
    )
    report, verdict = judge(source, tests=[[0, 0]], expected=[[]], limits=Limits(cpu_s=2, wall_s=8))
    assert verdict.verdict == "AC", (report.tests, report.stderr)


@needs_bwrap
def test_expected_answers_never_enter_the_sandbox():
    source = "def add(a, b):\n    return open('job.json').read()\n"
    report, _ = judge(source, tests=[[12345, 54321]], expected=[66666])
    job = json.loads(report.tests[0].actual)
    assert "66666" not in report.tests[0].actual and "12345" not in report.tests[0].actual and "tests" not in job


@needs_bwrap
def test_files_from_one_submission_are_gone_in_the_next():
    judge(
        "def add(a, b):\n    open('/work/leftover', 'w').write('x')\n    open('/tmp/leftover', 'w').write('x')\n"
        "    return a + b\n"
    )
    report, _ = judge(
        "import os\ndef add(a, b):\n    return [os.path.exists(p) for p in ('/work/leftover', '/tmp/leftover')]\n",
        tests=[[0, 0]],
        expected=[[False, False]],
    )
    assert report.tests[0].actual == [False, False]


@needs_bwrap
def test_killing_the_harness_is_ignored_and_killing_itself_is_re():
    source = (
        "import os, signal\ndef add(a, b):\n    for pid in (os.getppid(), 1, -1):\n        try:\n"
        "            os.kill(pid, signal.SIGKILL)\n        except OSError:\n            pass\n    return a + b\n"
    )
    # The supervisor is the sandbox's PID 1, which its children cannot kill; kill(-1) spares the caller.
    assert judge(source)[1].verdict == "AC"
    _, verdict = judge("import os\ndef add(a, b):\n    os.kill(os.getpid(), 9)\n")
    assert verdict.verdict == "RE" and "killed by signal SIGKILL" in verdict.message


@needs_bwrap
def test_daemon_started_by_a_submission_is_gone_when_the_run_returns():
    marker = f"{2000 + secrets.randbelow(10**6)}.{secrets.randbelow(10**6)}"
    source = (
        "import os\ndef add(a, b):\n    if os.fork() == 0:\n        os.setsid()\n        if os.fork() == 0:\n"
        f"            os.execv('/bin/sleep', ['/bin/sleep', '{marker}'])\n        os._exit(0)\n    return a + b\n"
    )
    _, verdict = judge(source)
    assert verdict.verdict == "AC"
    time.sleep(0.1)
    assert not [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]


@needs_bwrap
def test_forged_records_printed_to_stdout_do_not_count():
    fake = json.dumps(
        {"kind": "test", "seq": 0, "status": "ok", "actual": 3, "message": "", "time_ms": 0, "memory_kb": 1}
    )
    source = (
        f"import os, sys\ndef add(a, b):\n    print({fake!r})\n    os.write(1, b'0' * 32 + b' ' + {fake!r}.encode()"
        " + b'\\n')\n    return None\n"
    )
    _, verdict = judge(source)
    assert verdict.verdict == "WA" and verdict.passed == 0


@needs_bwrap
def test_forged_records_written_into_the_harness_pipe_fail_the_run():
    forge = (
        json.dumps({"kind": "test", "seq": 0, "status": "ok", "actual": 3, "message": "", "time_ms": 0, "memory_kb": 1})
        + "\n"
    )
    source = (
        "import os, stat\ndef add(a, b):\n    for fd in range(3, 64):\n        try:\n"
        "            if stat.S_ISFIFO(os.fstat(fd).st_mode):\n"
        f"                os.write(fd, {forge!r}.encode() * 3 + b'garbage\\n')\n"
        "        except OSError:\n            pass\n    return None\n"
    )
    report, verdict = judge(source)
    assert verdict.verdict == "RE" and report.failure and "rejected" in report.failure


@needs_bwrap
def test_results_channel_of_the_supervisor_cannot_be_opened_by_the_submission():
    source = (
        "import os\ndef add(a, b):\n    out = []\n    for path in ('/proc/1/fd/1', '/proc/1/mem', '/proc/1/environ'):\n"
        "        try:\n            open(path, 'rb').close(); out.append(path)\n        except OSError:\n"
        "            pass\n    return out\n"
    )
    report, verdict = judge(source, tests=[[0, 0]], expected=[[]])
    assert verdict.verdict == "AC", report.tests


@needs_bwrap
def test_exiting_midway_is_re_not_ac():
    _, verdict = judge("import os\ndef add(a, b):\n    if a == 3:\n        os._exit(0)\n    return a + b\n")
    assert [t.verdict for t in verdict.tests] == ["AC", "RE", "RE"]
    assert "before all tests ran" in verdict.message


@needs_bwrap
def test_numpy_arguments_and_results_round_trip():
    source = "import numpy as np\ndef add(a, b):\n    return a @ b\n"
    tests = [[[[1.0, 2.0], [3.0, 4.0]], [[1.0], [1.0]]]]
    report = run_submission(
        source, entry="add", tests=tests, limits=Limits(cpu_s=2, wall_s=8, memory_mb=512), numpy_args=True
    )
    assert grade(report, expected=[[[3.0], [7.0]]], checker="float", tolerance={"rel": 1e-9}).verdict == "AC"


@needs_bwrap
def test_complexity_passes_for_linear_memory_and_fails_for_quadratic():
    spec = {"measure": "peak_memory", "sizes": [64, 128, 256, 512], "bound": "O(n)", "max_exponent": 1.35}
    sizes_args = [[n, 0] for n in spec["sizes"]]
    linear = "def add(a, b):\n    return len([0] * a) * 0 + (a + b if a < 64 else 0)\n"
    quadratic = "def add(a, b):\n    return len([[0] * a for _ in range(a)]) * 0 + (a + b if a < 64 else 0)\n"
    verdicts = []
    for source in (linear, quadratic):
        report = run_submission(
            source,
            entry="add",
            tests=ADD_TESTS,
            limits=Limits(cpu_s=2, wall_s=8),
            complexity=spec,
            complexity_args=sizes_args,
        )
        verdicts.append(grade(report, expected=ADD_EXPECTED))
    assert verdicts[0].verdict == "AC" and verdicts[0].complexity_exponent < 1.35
    assert verdicts[1].verdict == "WA" and verdicts[1].complexity_exponent > 1.8
    assert (
        verdicts[1].message.startswith("peak memory grows as n^") and "required O(n) (≤ n^1.35)" in verdicts[1].message
    )


def test_missing_sandbox_is_ie_with_install_hint_unless_unsafe_override(monkeypatch):
    monkeypatch.setattr(judge_runner.sandbox, "available", lambda: (False, "bubblewrap not found. Install it"))
    monkeypatch.delenv(judge_runner.UNSAFE_ENV, raising=False)
    report, verdict = judge("def add(a, b):\n    return a + b\n")
    assert verdict.verdict == "IE" and "Install" in verdict.message
    monkeypatch.setenv(judge_runner.UNSAFE_ENV, "1")
    report, verdict = judge("def add(a, b):\n    return a + b\n")
    assert verdict.verdict == "AC" and report.unsandboxed and verdict.unsandboxed


def test_verdict_priority_ce_then_ie_then_first_failing_test():
    args = [[1], [2], [3]]
    runs = [TestRun("ok", 1), TestRun("tle", message="slow"), TestRun("ok", 99)]
    assert grade(RunReport(args=args, tests=runs), expected=[1, 2, 3]).verdict == "TLE"
    assert grade(RunReport(args=args, tests=runs, compile_error="bad"), expected=[1, 2, 3]).verdict == "CE"
    assert (
        grade(RunReport(args=args, tests=runs, internal_error="x", compile_error="bad"), expected=[1, 2, 3]).verdict
        == "CE"
    )
    assert grade(RunReport(args=args, tests=runs, internal_error="x"), expected=[1, 2, 3]).verdict == "IE"
    runs[1] = TestRun("ok", 5)
    assert grade(RunReport(args=args, tests=runs), expected=[1, 2, 3]).verdict == "WA"


def test_exact_checker_keeps_booleans_apart_and_float_checker_uses_tolerance():
    report = RunReport(args=[[0], [0]], tests=[TestRun("ok", True), TestRun("ok", [1.0000001, 2.0])])
    assert grade(report, expected=[1, [1, 2]]).passed == 0
    assert grade(report, expected=[True, [1, 2]], checker="float", tolerance={"rel": 1e-6}).verdict == "AC"


def test_custom_checker_is_loaded_and_its_crash_is_ie(tmp_path):
    path = tmp_path / "checker.py"
    path.write_text("def check(args, expected, actual):\n    return sorted(actual) == sorted(expected)\n")
    check = load_checker(path)
    report = RunReport(args=[[0]], tests=[TestRun("ok", [2, 1])])
    assert grade(report, expected=[[1, 2]], checker="custom", custom_check=check).verdict == "AC"
    report = RunReport(args=[[0]], tests=[TestRun("ok", None)])
    assert grade(report, expected=[[1, 2]], checker="custom", custom_check=check).verdict == "IE"


def test_channel_parser_rejects_forged_duplicated_and_truncated_records():
    nonce = "ab" * 16

    def rec(record: dict) -> str:
        return f"{nonce} {json.dumps(record)}\n"

    test0 = {"kind": "test", "seq": 0, "status": "ok", "actual": 1, "message": "", "time_ms": 1, "memory_kb": 1}
    end = {"kind": "end", "tampered": ""}
    good = rec(test0) + rec({"kind": "done"}) + rec(end)
    assert parse_channel(good.encode(), nonce, 1)[2] == ""
    assert "nonce" in parse_channel(good.replace(nonce, "cd" * 16, 1).encode(), nonce, 1)[2]
    assert parse_channel((rec(test0) + good).encode(), nonce, 1)[2]
    assert parse_channel((good + rec(test0)).encode(), nonce, 1)[2]
    assert parse_channel(good[:-5].encode(), nonce, 1)[2]
    assert parse_channel((rec(test0) + rec({"kind": "done"})).encode(), nonce, 1)[2] == "no end record"
    assert parse_channel((rec({"kind": "done"}) + rec(end)).encode(), nonce, 1)[2]


MARKER = "hidden-marker-7f3a9c"
# Every way a solution could carry its input out to the learner's page: the exception's text, its own exception
# class named after the input, stderr then an exit, an exit code, a signal, forged worker records, reading ahead
# in the harness's pipes, job.json and the supervisor's stdin.
LEAKS = {
    "exception text": "def add(a, b):\n    raise ValueError(repr((a, b)))\n",
    "own exception class": "def add(a, b):\n    raise type('E_' + ''.join(c if c.isalnum() else '_' for c in str(a)),"
                           " (Exception,), {})()\n",
    "stderr then exit": "import os, sys\ndef add(a, b):\n    print(a, b, file=sys.stderr, flush=True)\n"
                        "    os._exit(3)\n",
    "recursion": "def add(a, b, depth=0):\n    return add(a, b, depth + 1) if a else 0\n",
    "bad output": "def add(a, b):\n    return type('R_' + str(a).replace('-', '_'), (), {})()\n",
    "forged record": (
        "import json, os, stat\ndef add(a, b):\n    rec = json.dumps({'kind': 'test', 'seq': 1, 'status': 'exc',"
        " 'actual': None, 'message': str(a), 'time_ms': 0, 'memory_kb': 1}) + '\\n'\n"
        "    for fd in range(3, 64):\n        try:\n            if stat.S_ISFIFO(os.fstat(fd).st_mode):\n"
        "                os.write(fd, rec.encode())\n        except OSError:\n            pass\n    return 0\n"
    ),
    "reading ahead": (
        "import os, stat\nseen = []\nfor fd in range(3, 64):\n    try:\n"
        "        if stat.S_ISFIFO(os.fstat(fd).st_mode):\n            os.set_blocking(fd, False)\n"
        "            seen.append(os.read(fd, 1 << 20))\n    except OSError:\n        pass\n"
        "seen.append(open('job.json', 'rb').read())\n"
        "for p in ('/proc/1/fd/0', '/proc/self/fd/0', '/proc/1/cmdline'):\n    try:\n"
        "        seen.append(open(p, 'rb').read(1 << 20))\n    except OSError:\n        pass\n"
        "def add(a, b):\n    raise ValueError(repr(seen))\n"
    ),
}


@needs_bwrap
@pytest.mark.parametrize("how", sorted(LEAKS))
def test_a_hidden_input_never_reaches_what_the_learner_sees(how):
    """A marker planted in the hidden tests' inputs (and in an argument of the last one, never called before the
    earlier ones have run) is nowhere in the verdict, its per-test messages or the results a page could show."""
    tests = [[1, 2], [f"{MARKER}-a", 0], [f"{MARKER}-b", 1]]
    report = run_submission(LEAKS[how], entry="add", tests=tests, limits=Limits(cpu_s=2, wall_s=8))
    verdict = grade(report, expected=[3, 0, 0], kinds=["example", "hidden", "hidden"])
    assert verdict.verdict != "AC"
    shown = " ".join([verdict.message, *(t.message for t in verdict.tests), repr(verdict.tests)])
    assert MARKER not in shown, (how, shown)
    assert "marker" not in shown.replace("hidden-", "")


@needs_bwrap
def test_a_hidden_failure_still_says_what_kind_of_error_it_was():
    tests = [[1, 2], [3, 0]]
    report = run_submission("def add(a, b):\n    return a // b\n", entry="add", tests=tests,
                            limits=Limits(cpu_s=2, wall_s=8))
    verdict = grade(report, expected=[0, 0], kinds=["example", "hidden"])
    assert verdict.tests[1].message == "test 2: runtime error (ZeroDivisionError)"
    report = run_submission("def add(a, b):\n    return a // b\n", entry="add", tests=[[1, 0]],
                            limits=Limits(cpu_s=2, wall_s=8))
    example = grade(report, expected=[0], kinds=["example"])
    assert "integer division or modulo by zero" in example.message  # an example's failure keeps its text
