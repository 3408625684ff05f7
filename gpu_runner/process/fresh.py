"""Run one measurement in a fresh Python process (optimum-benchmark style) and stream its progress back.

Parent side: run_in_fresh_process(). Child side: ``python -m gpu_runner.process.fresh MODULE:FUNC`` reads
a JSON spec on stdin and calls FUNC(spec, report); messages travel on a dedicated pipe so that library
output on stdout/stderr only ever lands in the log.
"""

from __future__ import annotations

import collections
import importlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from gpu_runner.errors import ChildFailed, LabCancelled, Unsupported

_MSG_FD_ENV = "GPU_RUNNER_MSG_FD"


class LogTail:
    """Bounded, thread-safe tail of the combined output of a job's child processes."""

    def __init__(self, max_chars: int = 20000):
        self.max_chars = max_chars
        self._lines: collections.deque[str] = collections.deque()
        self._size = 0
        self._lock = threading.Lock()

    def add(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)
            self._size += len(line)
            while self._size > self.max_chars and len(self._lines) > 1:
                self._size -= len(self._lines.popleft())

    def text(self) -> str:
        with self._lock:
            return "".join(self._lines)[-self.max_chars:]


# on_message(fraction 0..1, stage) returns True to cancel the run.
OnProgress = Callable[[float, str], bool]


def run_in_fresh_process(target: str, spec: dict[str, Any], *, on_progress: OnProgress | None = None,
                         log: LogTail | None = None, timeout_s: float = 3600.0, exit_grace_s: float = 30.0,
                         cancel_at: float | None = None) -> Any:
    """Run MODULE:FUNC(spec, report) in a new interpreter and return its JSON result.

    Once the result has arrived the child has `exit_grace_s` to exit; one that hangs on the way out (an atexit
    handler, a library's shutdown, a worker keeping the pipe open) is killed with its process group and the
    result stands. Raises Unsupported, ChildFailed or LabCancelled (after killing the child's whole group): on a
    cancelling progress answer, or once time.monotonic() passes `cancel_at` even if the child reports nothing.
    """
    log = log or LogTail()
    read_fd, write_fd = os.pipe()
    env = dict(os.environ, **{_MSG_FD_ENV: str(write_fd), "PYTHONUNBUFFERED": "1"})
    proc = subprocess.Popen([sys.executable, "-m", "gpu_runner.process.fresh", target], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(write_fd,), env=env,
                            start_new_session=True, cwd=_repo_root())
    os.close(write_fd)
    messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
    threads = [threading.Thread(target=_pump_log, args=(proc.stdout, log), daemon=True),
               threading.Thread(target=_pump_messages, args=(read_fd, messages), daemon=True)]
    for t in threads:
        t.start()
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(spec).encode())
    proc.stdin.close()
    deadline = time.monotonic() + timeout_s
    final: dict[str, Any] | None = None
    exit_deadline = float("inf")  # set once the result is in
    try:
        while True:
            try:
                msg = messages.get(timeout=min(1.0, max(0.05, exit_deadline - time.monotonic())))
            except queue.Empty:
                if time.monotonic() > exit_deadline:
                    break  # the result is in but the pipe stays open: the exit wait below settles it
                if cancel_at is not None and final is None and time.monotonic() > cancel_at:
                    raise LabCancelled() from None
                if time.monotonic() > deadline:
                    raise ChildFailed(f"{target} ran past its {timeout_s:.0f} s limit") from None
                continue
            if msg is None:  # pipe closed: the child exited or is exiting
                break
            if msg["type"] == "progress":
                if on_progress and on_progress(float(msg["fraction"]), str(msg["stage"])):
                    raise LabCancelled()
                if cancel_at is not None and time.monotonic() > cancel_at:
                    raise LabCancelled()
            else:
                final = msg
                exit_deadline = time.monotonic() + exit_grace_s
    except BaseException:
        _kill(proc)
        raise
    try:
        proc.wait(timeout=max(0.0, exit_deadline - time.monotonic()) if final is not None else exit_grace_s)
    except subprocess.TimeoutExpired:
        log.add(f"[runner] {target} did not exit within {exit_grace_s:.0f} s of its result: killed\n")
        _kill(proc)
    for t in threads:
        t.join(timeout=5)
    if final is None:
        raise ChildFailed(f"{target} exited with status {proc.returncode} before reporting a result")
    if final["type"] == "unsupported":
        raise Unsupported(final["reason"])
    if final["type"] == "error":
        raise ChildFailed(final["error"])
    return final["value"]


def _repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the child's own session: its workers die with it
        except ProcessLookupError:
            pass
    proc.wait(timeout=30)


def _pump_log(stream: Any, log: LogTail) -> None:
    for raw in iter(stream.readline, b""):
        log.add(raw.decode("utf-8", "replace"))
    stream.close()


def _pump_messages(fd: int, messages: queue.Queue) -> None:
    with os.fdopen(fd, "rb") as pipe:
        for raw in pipe:
            try:
                messages.put(json.loads(raw))
            except ValueError:
                continue
    messages.put(None)


def _watch_parent() -> None:
    """Exit when the runner dies: the child has its own session, so no signal would reach it."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def _child_main(target: str) -> int:
    _watch_parent()
    pipe = os.fdopen(int(os.environ[_MSG_FD_ENV]), "w", buffering=1)

    def send(msg: dict[str, Any]) -> None:
        pipe.write(json.dumps(msg) + "\n")

    def report(fraction: float, stage: str) -> None:
        send({"type": "progress", "fraction": max(0.0, min(1.0, fraction)), "stage": stage})

    spec = json.loads(sys.stdin.read())
    module_name, func_name = target.split(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
        send({"type": "result", "value": func(spec, report)})
    except Unsupported as exc:
        send({"type": "unsupported", "reason": str(exc)})
    except Exception as exc:  # noqa: BLE001 - everything the measurement raises goes back to the parent
        traceback.print_exc()
        send({"type": "error", "error": f"{type(exc).__name__}: {exc}"})
    pipe.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(_child_main(sys.argv[1]))
