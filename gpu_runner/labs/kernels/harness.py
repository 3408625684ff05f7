"""Build the learner's kernel in the sandbox, run it under the lab's harness (driver.cpp / driver_cuda.cu) one
size at a time, and judge every run's output outside the sandbox against NumPy (OpenBLAS, float64).

Why this shape: the kernel shares a process only with the harness, never with the reference; its inputs are
new for every run and derived from a seed chosen here at run time and sent after the kernel is loaded; the
whole output of every run (warm-up included) comes back and is compared here, so neither a replayed answer
nor a kernel right only on the first call, nor one right only on tile multiples, passes.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shlex
import shutil
import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import sandbox
from gpu_runner.labs.kernels import inputs

HERE = Path(__file__).resolve().parent
CPU_FLAGS = ["-O3", "-march=native", "-fopenmp", "-std=c++17"]
# The harness's own float arithmetic must match NumPy's float32 bit for bit: no fused multiply-add.
DRIVER_FLAGS = [*CPU_FLAGS, "-ffp-contract=off"]
EPS32 = float(np.finfo(np.float32).eps)
# GEMM: |C - R| <= TOLERANCE * K * eps32 * (|A| |B|) element-wise, twice the classic worst-case bound
# gamma_K = K u / (1 - K u) (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., section 3.5).
GEMM_TOLERANCE = 1.0
SOFTMAX_RTOL, SOFTMAX_ATOL = 1e-4, 1e-6
# Products above this many multiply-adds are checked on sampled rows and columns (picked after the run).
FULL_CHECK_MACS = 1 << 30
SAMPLED_LINES = 32


@dataclass(frozen=True)
class Limits:
    compile_wall_s: float = 180.0
    compile_cpu_s: float = 120.0
    compile_memory_mb: int = 2048
    compiler_message_bytes: int = 4000
    run_wall_s: float = 300.0  # per size, all runs: a naive 1024^3 GEMM on a busy 2-core machine needs ~150 s
    max_source_bytes: int = 256 * 1024


class KernelFailed(Exception):
    """The kernel did not produce a judged run: status RE, TLE or CE (with the harness's message)."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# --- building --------------------------------------------------------------------------------------------


def build_driver(target: str = "cpu", cuda_arch: str = "native") -> Path:
    """Compile the harness once per source version and flags (trusted code, no sandbox); cached in the temp dir."""
    source = HERE / ("driver.cpp" if target == "cpu" else "driver_cuda.cu")
    if target == "cpu":
        argv = ["g++", *DRIVER_FLAGS]
        tail = ["-ldl"]
    else:
        argv = ["nvcc", "-O3", "-std=c++17", f"-arch={cuda_arch}", "-Xcompiler", "-ffp-contract=off"]
        tail = ["-ldl"]
    digest = hashlib.sha256(source.read_bytes() + shlex.join(argv + tail).encode()).hexdigest()[:16]
    target_dir = Path(tempfile.gettempdir()) / f"deploydojo-kernels-{target}-{digest}"
    binary = target_dir / "driver"
    if binary.exists():
        return binary
    target_dir.mkdir(parents=True, exist_ok=True)
    partial = target_dir / f"driver.{time.monotonic_ns()}.tmp"
    compiler = shutil.which(argv[0]) or argv[0]
    subprocess.run([compiler, *argv[1:], "-o", str(partial), str(source), *tail], check=True, capture_output=True,
                   timeout=600)
    partial.replace(binary)  # atomic: concurrent builders never see half a binary
    return binary


def compile_argv(target: str) -> list[str]:
    if target == "cpu":
        return ["g++", *CPU_FLAGS, "-fPIC", "-shared", "-o", "kernel.so", "kernel.cpp"]
    return ["nvcc", "-O3", "-std=c++17", "-arch=native", "-Xcompiler", "-fPIC,-fopenmp", "-shared",
            "-o", "kernel.so", "kernel.cu"]


def compile_kernel(source: str, target: str, limits: Limits = Limits(),
                   cuda: dict[str, Any] | None = None) -> tuple[bytes | None, dict]:
    """The learner's source into kernel.so inside the sandbox: (shared object or None, compile report)."""
    argv = compile_argv(target)
    box = sandbox.Limits(cpu_s=limits.compile_cpu_s, wall_s=limits.compile_wall_s,
                         memory_mb=limits.compile_memory_mb if target == "cpu" else 1 << 22,
                         file_mb=256, output_bytes=1 << 20, disk_mb=1024, procs=128)
    env = {"LC_ALL": "C"}
    binds: list[tuple[str, str]] = []
    if cuda:
        binds = [(cuda["home"], cuda["home"])]
        env["PATH"] = f"{cuda['home']}/bin:/usr/bin:/bin"
    name = "kernel.cpp" if target == "cpu" else "kernel.cu"
    out = sandbox.run(argv, limits=box, files={name: source.encode()}, keep=["kernel.so"], env=env, ro_binds=binds)
    message = out.error or (out.stderr or b"").decode("utf-8", "replace")
    if out.timed_out:
        message = f"compiler exceeded {limits.compile_wall_s:.0f} s\n" + message
    shared = out.files.get("kernel.so")
    cap = limits.compiler_message_bytes
    report = {"ok": bool(shared) and out.returncode == 0, "seconds": round(out.wall_s, 2), "command": shlex.join(argv),
              "message": message[:cap] + ("\n[... truncated]" if len(message) > cap else "")}
    return (shared if report["ok"] else None), report


# --- running ---------------------------------------------------------------------------------------------


def run_limits(problem: str, dims: list[int], threads: int, flush_bytes: int, wall_s: float,
               warmup: int, repeats: int, target: str) -> sandbox.Limits:
    out_floats = dims[0] * dims[1]
    in_floats = dims[0] * dims[2] + dims[2] * dims[1] if problem == "gemm" else out_floats
    # Each array is mapped with a PROT_NONE guard as long as itself on either side: address space, no memory.
    data_mb = ((in_floats + out_floats) * 4 * 3 + flush_bytes) >> 20
    # glibc gives each thread a stack of RLIMIT_STACK (256 MiB in the sandbox) of address space.
    memory_mb = data_mb + 512 + (threads + 2) * (sandbox.STACK_BYTES >> 20)
    if target == "cuda":
        memory_mb = 1 << 22  # the CUDA driver reserves address space far beyond what it uses
    stdout = (warmup + repeats) * (out_floats * 4 + 16) + 64
    return sandbox.Limits(cpu_s=wall_s * max(1, threads), wall_s=wall_s, memory_mb=memory_mb,
                          procs=max(64, threads * 4), stdout_bytes=stdout, output_bytes=1 << 16, open_files=256)


def request_line(problem: str, dims: list[int], warmup: int, repeats: int, flush_bytes: int, seed: int) -> bytes:
    shape = dims if problem == "gemm" else dims[:2]
    return (" ".join(str(v) for v in [*shape, warmup, repeats, flush_bytes, seed]) + "\n").encode()


def parse_runs(stdout: bytes, count: int, out_floats: int) -> list[tuple[float, np.ndarray | None]]:
    """[(seconds, output)] from the harness's stream; raises KernelFailed when it is not complete."""
    runs, pos, size = [], 0, out_floats * 4
    for index in range(count):
        head = stdout[pos:pos + 16]
        if len(head) < 16 or head[:4] != b"RUN!" or struct.unpack("<I", head[4:8])[0] != index:
            raise KernelFailed("RE", f"the harness's output stopped at run {index} (the kernel wrote over it?)")
        seconds = struct.unpack("<d", head[8:16])[0]
        body = stdout[pos + 16:pos + 16 + size]
        if len(body) != size:
            raise KernelFailed("RE", f"run {index}'s output is incomplete")
        runs.append((seconds, np.frombuffer(body, dtype=np.float32) if size else None))
        pos += 16 + size
    if stdout[pos:pos + 4] != b"DONE":
        raise KernelFailed("RE", "the harness did not finish cleanly")
    return runs


def outcome_failure(out: sandbox.Outcome, wall_s: float) -> KernelFailed | None:
    """RE / TLE / CE from how the harness ended, with the message the learner needs."""
    tail = (out.stderr or b"").decode("utf-8", "replace")[-1500:].strip()
    if out.error:
        return KernelFailed("RE", f"sandbox error: {out.error}")
    if out.timed_out:
        return KernelFailed("TLE", f"time limit exceeded ({wall_s:.0f} s for this size, all runs)")
    if out.output_truncated:
        return KernelFailed("RE", f"output limit exceeded ({out.truncated_stream})")
    if out.returncode == 3:
        return KernelFailed("CE", tail or "the kernel could not be loaded")
    if out.returncode == 4:
        return KernelFailed("RE", tail)
    if out.returncode != 0:
        what = f"signal {out.signal}" if out.signal else f"exit status {out.returncode}"
        return KernelFailed("RE", f"the kernel crashed ({what})" + (f": {tail}" if tail else ""))
    return None


def run_size(*, driver: Path, kernel: bytes | None, problem: str, dims: list[int], warmup: int, repeats: int,
             flush_bytes: int, seed: int, threads: int, wall_s: float, target: str = "cpu",
             cuda: dict[str, Any] | None = None) -> list[tuple[float, np.ndarray | None]]:
    """Every run of one size: [(seconds, output)] in run order. Raises KernelFailed."""
    files: dict[str, Any] = {"driver": (driver.read_bytes(), 0o755)}
    if kernel is not None:
        files["kernel.so"] = (kernel, 0o755)
    env = {"OMP_NUM_THREADS": str(threads), "OMP_STACKSIZE": "16M", "OMP_PROC_BIND": "false"}
    binds, devices = [], []
    if cuda:
        binds = [(cuda["home"], cuda["home"])]
        devices = cuda["devices"]
        env["LD_LIBRARY_PATH"] = f"{cuda['home']}/lib64"
    limits = run_limits(problem, dims, threads, flush_bytes, wall_s, warmup, repeats, target)
    out = sandbox.run(["./driver", problem], limits=limits, stdin=request_line(
        problem, dims, warmup, repeats, flush_bytes, seed), files=files, env=env, ro_binds=binds, dev_binds=devices)
    failure = outcome_failure(out, wall_s)
    if failure:
        raise failure
    return parse_runs(out.stdout, warmup + repeats, dims[0] * dims[1])


def measure_copy(driver: Path, floats: int, repeats: int, threads: int,
                 cuda: dict[str, Any] | None = None) -> list[float]:
    """Seconds per copy of `floats` float32 (STREAM's Copy: OpenMP threads, or a device-to-device copy on the
    GPU), in the sandbox like the kernels."""
    memory_mb = ((floats * 8) >> 20) + 512 + (threads + 2) * (sandbox.STACK_BYTES >> 20)
    limits = sandbox.Limits(cpu_s=120 * max(1, threads), wall_s=120, memory_mb=1 << 22 if cuda else memory_mb,
                            procs=max(64, threads * 4), stdout_bytes=repeats * 16 + 64, open_files=256)
    env = {"OMP_NUM_THREADS": str(threads), "OMP_STACKSIZE": "16M"}
    if cuda:
        env["LD_LIBRARY_PATH"] = f"{cuda['home']}/lib64"
    out = sandbox.run(["./driver", "copy"], limits=limits, stdin=f"{floats} {repeats}\n".encode(),
                      files={"driver": (driver.read_bytes(), 0o755)}, env=env,
                      ro_binds=[(cuda["home"], cuda["home"])] if cuda else None,
                      dev_binds=cuda["devices"] if cuda else None)
    failure = outcome_failure(out, 120)
    if failure:
        raise RuntimeError(f"copy bandwidth: {failure.message}")
    return [s for s, _ in parse_runs(out.stdout, repeats, 0)]


def new_seed() -> int:
    """Chosen here, at run time, and sent to the harness only after the kernel is loaded."""
    return secrets.randbits(63)


# --- judging ---------------------------------------------------------------------------------------------


def check_gemm(base: int, run: int, dims: list[int], output: np.ndarray, tolerance: float = GEMM_TOLERANCE,
               target: str = "cpu") -> dict[str, Any]:
    """{"ok", "max_error", "checked", "first_bad"?}; errors are |C - R| / (K eps32 (|A||B|)), R in float64 from
    the inputs the kernel saw (float32 on the CPU, rounded to float16 on CUDA)."""
    m, n, k = dims
    c = output.reshape(m, n)
    a, b = inputs.gemm_inputs(base, run, m, n, k)
    if target == "cuda":
        a, b = a.astype(np.float16), b.astype(np.float16)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if m * n * k <= FULL_CHECK_MACS:
        blocks = [(np.arange(m), None)]
        checked = "every element"
    else:  # rows and columns drawn now, after the output is fixed, plus the last row and column (tile edges)
        rng = np.random.default_rng(secrets.randbits(64))
        rows = np.unique(np.r_[rng.choice(m, min(m, SAMPLED_LINES), replace=False), m - 1])
        cols = np.unique(np.r_[rng.choice(n, min(n, SAMPLED_LINES), replace=False), n - 1])
        blocks = [(rows, None), (None, cols)]
        checked = f"{len(rows)} rows and {len(cols)} columns sampled after the run"
    worst, first = 0.0, None
    for rows, cols in blocks:
        ra, cb = (a64 if rows is None else a64[rows]), (b64 if cols is None else b64[:, cols])
        ref, bound = ra @ cb, k * EPS32 * (np.abs(ra) @ np.abs(cb)) + np.finfo(np.float32).tiny
        got = c[rows] if rows is not None else c[:, cols]
        with np.errstate(invalid="ignore", over="ignore"):
            err = np.abs(got.astype(np.float64) - ref) / bound
        bad = ~(err <= tolerance)  # NaN and inf are bad
        block_max = _finite_max(err)
        worst = None if worst is None or block_max is None else max(worst, block_max)
        if bad.any() and first is None:
            r, col = divmod(int(np.argmax(bad.ravel())), got.shape[1])
            i = int(rows[r]) if rows is not None else r
            j = int(cols[col]) if cols is not None else col
            first = {"run": run, "row": i, "col": j, "got": _num(c[i, j]), "expected": _num(ref[r, col]),
                     "allowed_abs_error": _num(tolerance * bound[r, col])}
    report: dict[str, Any] = {"ok": first is None, "checked": checked, "max_error": worst, "tolerance": tolerance}
    if first:
        report["first_bad"] = first
    return report


def check_softmax(base: int, run: int, dims: list[int], output: np.ndarray, target: str = "cpu") -> dict[str, Any]:
    rows, cols = dims[:2]
    y = output.reshape(rows, cols).astype(np.float64)
    x = inputs.softmax_input(base, run, rows, cols).astype(np.float64)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    ref = e / e.sum(axis=1, keepdims=True)
    allowed = SOFTMAX_ATOL + SOFTMAX_RTOL * np.abs(ref)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(y - ref)
    bad = ~(diff <= allowed)
    report: dict[str, Any] = {"ok": not bad.any(), "checked": "every element",
                              "max_error": _finite_max(diff / allowed), "tolerance": 1.0}
    if bad.any():
        i, j = divmod(int(np.argmax(bad.ravel())), cols)
        report["first_bad"] = {"run": run, "row": i, "col": j, "got": _num(y[i, j]), "expected": _num(ref[i, j]),
                               "allowed_abs_error": _num(allowed[i, j])}
    return report


def _finite_max(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    if finite.size != values.size:
        return None  # NaN or inf somewhere: no meaningful maximum
    return float(finite.max()) if finite.size else 0.0


def _num(value: Any) -> float | str:
    """A JSON-safe number: NaN and inf become their names (JSON has no literal for them)."""
    v = float(value)
    return v if np.isfinite(v) else str(v)


def threads_default() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
