"""The prepared GPU check (bench/gpu_check.py) on this CPU-only machine, and the fresh-process guard the
labs it drives rely on: a child that hangs on its way out is killed and its result still counts."""

from __future__ import annotations

import atexit
import os
import time
from typing import Any

import pytest

from gpu_runner.errors import ChildFailed
from gpu_runner.fresh_process import LogTail, run_in_fresh_process


def hang_on_exit(spec: dict[str, Any], report: Any) -> dict[str, Any]:
    """Child side: answer, then block forever in an atexit handler (like a library whose shutdown hangs)."""
    atexit.register(time.sleep, 3600)
    return {"pid": os.getpid(), "answer": spec["x"] * 2}


def exit_without_result(spec: dict[str, Any], report: Any) -> None:
    atexit.register(time.sleep, 3600)
    os.close(int(os.environ["GPU_RUNNER_MSG_FD"]))  # the pipe closes with no result, then the exit hangs
    raise SystemExit(0)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_child_hanging_in_atexit_is_killed_and_its_result_kept():
    log = LogTail()
    started = time.monotonic()
    out = run_in_fresh_process("tests.test_gpu_check:hang_on_exit", {"x": 21}, log=log, timeout_s=120,
                               exit_grace_s=2.0)
    elapsed = time.monotonic() - started
    assert out["answer"] == 42
    assert _gone(out["pid"])
    assert "did not exit within 2 s of its result: killed" in log.text()
    assert elapsed < 60  # the child would sleep an hour; with imports it finishes in seconds


def test_child_that_exits_without_a_result_and_hangs_is_killed():
    log = LogTail()
    with pytest.raises(ChildFailed, match="before reporting a result"):
        run_in_fresh_process("tests.test_gpu_check:exit_without_result", {}, log=log, timeout_s=120,
                             exit_grace_s=2.0)
    assert "killed" in log.text()
