"""Test harness that runs inside the sandbox: imports solution.py, calls its entry on each test, reports outputs.

Standalone on purpose (stdlib only, numpy if asked): it is copied into the sandbox's /work next to the
learner's solution.py and job.json (entry, limits — no test data), and run as ``python3 -I -B harness.py``.

The tests never sit where the learner's code can read them. They arrive on the supervisor's stdin after the
nonce, one JSON line per test, and the supervisor hands the worker one test at a time: the first only once the
worker has imported the solution and says it is ready, each next one only once the previous one's record is
back. The solution sees each input when it is called with it and never earlier; hidden tests' inputs can
therefore only leave through what the worker reports, and the grader shows nothing of a hidden test beyond its
verdict, time, memory and the exception's (built-in) type.

Why two processes. The learner's code necessarily runs in the same interpreter as whatever calls it,
so anything that interpreter holds (a nonce, the results fd, the reporting code) can be read or patched
by that code; a nonce "erased from memory" is still findable through gc. So the process that owns the
results channel (stdout) never runs learner code: this supervisor forks a worker *before* it reads the
per-run nonce from stdin, makes itself non-dumpable (so the worker, same uid, cannot ptrace it or open
/proc/<it>/fd or /proc/<it>/mem), ignores SIGINT, and, being the sandbox's PID 1, cannot be killed by
the worker at all. The worker's stdin is /dev/null and its stdout is pointed at stderr, so learner
prints land in the capped stderr stream (floods there become OLE), never in the channel. The worker
sends one JSON line per record over a private pipe; the supervisor checks their order and shape and
re-frames them as ``<nonce> <json>`` lines, closed by an END line carrying the worker's exit status and
CPU time from wait4. A worker can still lie about its own outputs, times and memory peaks: outputs are
checked outside against answers that never enter the sandbox, and limits are enforced from outside, so
a lie buys nothing except possibly a forged complexity measurement.
"""

import contextlib
import json
import os
import resource
import signal
import sys
import time
import traceback

MAX_MESSAGE = 2000
MAX_RECORD = 32 << 20
STATUSES = {"ok", "exc", "tle", "mle", "recursion", "bad_output"}


class _OutOfTime(BaseException):
    """Raised by the CPU timer; BaseException so that `except Exception` in learner code does not swallow it."""


def _on_timer(signum, frame):
    raise _OutOfTime()


def _short(text):
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def _error_line(exc):
    """Last traceback line plus where in solution.py it happened."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith("solution.py"):
            where = f" (solution.py line {frame.lineno})"
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return _short(last + where)


def _jsonable(value, depth=0):
    if depth > 100:
        raise TypeError("output nested too deeply")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    if callable(tolist) and type(value).__module__.startswith("numpy"):
        return _jsonable(tolist(), depth + 1)
    raise TypeError(f"returned a {type(value).__name__}, which is not a JSON value")


def _stream(items):
    """One-pass iterator for a ``{"stream": [[a, b, ...], ...]}`` argument: yields each item as a tuple of arrays.

    Every item is copied into the same read-only buffers, which the next item overwrites, the way a tile in
    on-chip memory is reused: a solution that keeps earlier items instead of using them at once sees only the
    latest one. Built lazily, so only what the solution holds counts towards its measured memory.
    """
    import numpy as np

    rows = [max((len(item[p]) for item in items if p < len(item)), default=0) for p in range(max(map(len, items)))]
    buffers = [None] * len(rows)
    for item in items:
        parts = []
        for p, part in enumerate(item):
            arr = np.asarray(part, dtype=np.float64)
            buf = buffers[p]
            if buf is None or buf.shape[1:] != arr.shape[1:]:
                buf = buffers[p] = np.empty((rows[p],) + arr.shape[1:])
            view = buf[: len(arr)]
            view[...] = arr
            view.flags.writeable = False
            parts.append(view)
        yield tuple(parts)


def _convert_args(args, numpy_args):
    if not numpy_args:
        return args
    import numpy as np

    return [
        np.asarray(a, dtype=np.float64) if isinstance(a, list)
        else _stream(a["stream"]) if isinstance(a, dict) and list(a) == ["stream"] and a["stream"]
        else a
        for a in args
    ]


class _Budget:
    """CPU seconds left for the whole submission, enforced per call with ITIMER_PROF."""

    def __init__(self, seconds):
        self.left = seconds

    def call(self, fn, args):
        self.used = 0.0
        if self.left <= 0:
            raise _OutOfTime()
        start = time.process_time()
        signal.setitimer(signal.ITIMER_PROF, self.left)
        try:
            return fn(*args)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            self.used = time.process_time() - start
            self.left -= self.used


def _run_one(budget, entry, args, numpy_args):
    record = {"status": "ok", "actual": None, "message": ""}
    try:
        record["actual"] = _jsonable(budget.call(entry, _convert_args(args, numpy_args)))
    except _OutOfTime:
        # One CPU budget covers all tests: once a test exhausts it, the remaining ones are TLE too.
        budget.left = 0.0
        record.update(status="tle", message="CPU time limit exceeded")
    except MemoryError:
        record.update(status="mle", message="memory limit exceeded (MemoryError)")
    except RecursionError as exc:
        record.update(status="recursion", message=_error_line(exc))
    except TypeError as exc:
        # Only a TypeError raised by _jsonable after the call means "bad output".
        is_output = exc.__traceback__ is not None and traceback.extract_tb(exc.__traceback__)[-1].name == "_jsonable"
        record.update(status="bad_output" if is_output else "exc", message=_error_line(exc))
    except BaseException as exc:  # noqa: BLE001 - any learner exception (SystemExit included) is a runtime error
        record.update(status="exc", message=_error_line(exc))
    record["time_ms"] = round(getattr(budget, "used", 0.0) * 1000, 3)
    record["memory_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return record


def _complexity(budget, entry, sizes_args, numpy_args):
    import tracemalloc

    peaks = []
    for args in sizes_args:
        converted = _convert_args(args, numpy_args)
        tracemalloc.start()
        tracemalloc.reset_peak()
        try:
            budget.call(entry, converted)
            peaks.append(tracemalloc.get_traced_memory()[1])
        except _OutOfTime:
            return {"kind": "complexity", "peaks": peaks, "error": "CPU time limit exceeded while measuring"}
        except BaseException as exc:  # noqa: BLE001
            return {"kind": "complexity", "peaks": peaks, "error": _error_line(exc)}
        finally:
            tracemalloc.stop()
    return {"kind": "complexity", "peaks": peaks, "error": ""}


def worker(out_fd, go_fd, tests_fd):
    """Child: wait for the supervisor's go, import the learner's module, then run each test the supervisor sends."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.read(go_fd, 1)
    os.close(go_fd)
    out = os.fdopen(out_fd, "w", buffering=1)
    tests_in = os.fdopen(tests_fd, "r", encoding="utf-8")

    def send(message):
        out.write(json.dumps(message, ensure_ascii=True, allow_nan=True) + "\n")
        out.flush()

    with open("job.json", encoding="utf-8") as fh:
        job = json.load(fh)
    signal.signal(signal.SIGPROF, _on_timer)
    # Memoised top-down DP recurses as deep as the input (10^4 here); the sandbox raises the C stack to match.
    sys.setrecursionlimit(100_000)
    budget = _Budget(job["cpu_s"])
    if job["numpy_args"]:
        import numpy  # noqa: F401 - import cost is the harness's, not charged to the first test

    import importlib.util

    try:
        spec = importlib.util.spec_from_file_location("solution", "solution.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["solution"] = module
        budget.call(spec.loader.exec_module, [module])
    except SyntaxError as exc:
        send({"kind": "ce", "message": _short("".join(traceback.format_exception_only(type(exc), exc)))})
        return
    except _OutOfTime:
        send({"kind": "import_error", "status": "tle", "message": "CPU time limit exceeded while importing"})
        return
    except MemoryError:
        send({"kind": "import_error", "status": "mle", "message": "memory limit exceeded while importing"})
        return
    except BaseException as exc:  # noqa: BLE001
        send({"kind": "import_error", "status": "exc", "message": _error_line(exc)})
        return
    entry = getattr(module, job["entry"], None)
    if not callable(entry):
        send({"kind": "ce", "message": f"solution.py does not define a function named {job['entry']!r}"})
        return
    send({"kind": "ready"})
    seq = 0
    while line := tests_in.readline():
        send({"kind": "test", "seq": seq, **_run_one(budget, entry, json.loads(line), job["numpy_args"])})
        seq += 1
    if job.get("complexity_args"):
        send(_complexity(budget, entry, job["complexity_args"], job["numpy_args"]))
    send({"kind": "done"})


def _valid(message, expect_seq, n_tests, ready):
    """Shape check of one worker record; returns an error string or ''. Never quotes the record: what a worker
    writes may carry a hidden test's input, and this string reaches the learner's page."""
    if not isinstance(message, dict):
        return "record is not an object"
    kind = message.get("kind")
    if kind == "ready":
        return "" if not ready and expect_seq == 0 and set(message) == {"kind"} else "misplaced ready record"
    if kind in ("test", "complexity", "done") and not ready:
        return "record before the worker was ready"
    if kind == "test":
        keys = {"kind", "seq", "status", "actual", "message", "time_ms", "memory_kb"}
        if set(message) != keys or message["seq"] != expect_seq or expect_seq >= n_tests:
            return f"unexpected test record (wanted seq {expect_seq})"
        if message["status"] not in STATUSES or not isinstance(message["message"], str):
            return "bad test record fields"
        if not isinstance(message["time_ms"], (int, float)) or not isinstance(message["memory_kb"], int):
            return "bad test record numbers"
        return ""
    if kind in ("ce", "import_error"):
        return "" if not ready and isinstance(message.get("message"), str) else "misplaced error record"
    if kind == "complexity":
        peaks = message.get("peaks")
        ok = expect_seq == n_tests and isinstance(peaks, list) and all(isinstance(p, int) for p in peaks)
        return "" if ok else "bad complexity record"
    if kind == "done":
        return "" if expect_seq == n_tests else "done before all tests"
    return "unknown record kind"


def _records(fd, pid):
    """Yield the worker's complete lines (None for an oversized one) until EOF or until the worker has exited."""
    import select

    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    poller.register(pidfd, select.POLLIN)
    os.set_blocking(fd, False)
    buf, eof, exited = b"", False, False
    while not eof:
        ready = {f for f, _ in poller.poll()}
        exited = exited or pidfd in ready
        while True:  # drain what is there; after the worker's exit that is all there will be from it
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                break
            if not chunk:
                eof = True
                break
            buf += chunk
            if b"\n" in chunk:
                *lines, buf = buf.split(b"\n")
                yield from lines
            if len(buf) > MAX_RECORD:
                yield None
                return
        if exited:
            break
    if buf:
        yield None


def _disable_ptrace():
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(4, 0, 0, 0, 0) == 0  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        return False


def _send_test(fd, line):
    """Hand one test's JSON line to the worker; False when the worker no longer reads (it died or closed it)."""
    view = memoryview(line)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        return False
    return True


def supervisor():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    with open("job.json", encoding="utf-8") as fh:
        n_tests = json.load(fh)["n_tests"]
    rd, wr = os.pipe()
    go_rd, go_wr = os.pipe()
    tests_rd, tests_wr = os.pipe()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        os.close(rd)
        os.close(go_wr)
        os.close(tests_wr)
        try:
            worker(wr, go_rd, tests_rd)
            code = 0
        except BaseException:  # noqa: BLE001 - harness bug or learner sabotage; the supervisor reports it
            traceback.print_exc()
            code = 70
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):  # the learner may have closed or replaced the stream
                stream.flush()
        os._exit(code)
    os.close(wr)
    os.close(go_rd)
    os.close(tests_rd)
    hardened = _disable_ptrace()
    os.write(go_wr, b"g")
    os.close(go_wr)
    # Everything on stdin is read only now, by this process, which the worker can neither ptrace nor inspect.
    stdin = sys.stdin.buffer
    nonce = stdin.readline().strip().decode("ascii", "replace")
    channel = sys.stdout

    def emit(message):
        channel.write(nonce + " " + json.dumps(message, ensure_ascii=True) + "\n")
        channel.flush()

    def next_test(sent):
        """Send test number `sent` (0-based), or close the worker's test pipe after the last one."""
        nonlocal tests_wr
        if tests_wr >= 0 and sent < n_tests and _send_test(tests_wr, stdin.readline()):
            return
        if tests_wr >= 0:
            os.close(tests_wr)
            tests_wr = -1

    seq, finished, tampered, ready = 0, False, "", False
    for raw in _records(rd, pid):
        if raw is None:
            tampered = "record too large or not newline-terminated"
            break
        try:
            message = json.loads(raw)
        except ValueError:
            tampered = "malformed record"
            break
        tampered = _valid(message, seq, n_tests, ready)
        if tampered:
            break
        if message["kind"] == "ready":
            ready = True
            next_test(0)
            continue
        if message["kind"] == "test":
            seq += 1
            next_test(seq)
        emit(message)
        # Stop at the end record rather than at EOF: a process the learner forked may hold the pipe open.
        finished = message["kind"] in ("done", "ce", "import_error")
        if finished:
            break
    if tampered:
        os.kill(pid, signal.SIGKILL)
    if tests_wr >= 0:
        os.close(tests_wr)
    _, status, usage = os.wait4(pid, 0)
    emit(
        {
            "kind": "end",
            "tests": seq,
            "finished": finished and not tampered,
            "tampered": tampered,
            "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "maxrss_kb": usage.ru_maxrss,
            "hardened": hardened,
        }
    )


if __name__ == "__main__":
    supervisor()
