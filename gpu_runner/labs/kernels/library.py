"""The library side of the kernel lab, measured in a fresh child process the same way the harness times the
learner's kernel: fresh inputs every run, caches rewritten between runs, warm-up, repeats, median.
CPU: OpenBLAS through NumPy (sgemm; threads and kernel as threadpoolctl reports them) and ATen's softmax
through torch. CUDA: cuBLAS through torch (fp16 inputs, fp32 output) and torch.softmax, CUDA events around
the call only and a synchronise before reading them."""

from __future__ import annotations

import time
from typing import Any

import numpy as np


def _stats(times: list[float]) -> dict[str, float]:
    from gpu_runner.measure.timing import summarize

    return summarize(times)


def blas_info() -> list[dict[str, Any]]:
    from threadpoolctl import threadpool_info

    keep = ("internal_api", "version", "num_threads", "architecture", "threading_layer", "prefix")
    return [{k: d.get(k) for k in keep} for d in threadpool_info() if d.get("user_api") == "blas"]


def _flush_with_threads(flush: np.ndarray, salt: int, pool) -> None:
    """Every thread rewrites its share (NumPy releases the GIL), so each core's caches and the LLC are refilled;
    plain threads that then sleep, where torch's OpenMP threads would spin and steal a core from OpenBLAS."""
    chunks = np.array_split(flush, pool._max_workers)
    list(pool.map(lambda c: np.add(np.multiply(c, 3, out=c), salt, out=c), chunks))


def _cpu_gemm(m: int, n: int, k: int, warmup: int, repeats: int, flush: np.ndarray, rng, pool) -> list[float]:
    times, c = [], np.empty((m, n), dtype=np.float32)
    for r in range(warmup + repeats):
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        _flush_with_threads(flush, r + 1, pool)
        t0 = time.perf_counter()
        np.matmul(a, b, out=c)
        t1 = time.perf_counter()
        if r >= warmup:
            times.append(t1 - t0)
    return times


def _cpu_softmax(rows: int, cols: int, warmup: int, repeats: int, flush: np.ndarray, rng, pool) -> list[float]:
    import torch

    times, y = [], torch.empty((rows, cols), dtype=torch.float32)
    view = torch.from_numpy(flush)
    for r in range(warmup + repeats):
        x = torch.from_numpy(rng.standard_normal((rows, cols), dtype=np.float32))
        view.mul_(3).add_(r + 1)  # torch's own OpenMP threads, as the harness flushes with the kernel's
        t0 = time.perf_counter()
        torch.softmax(x, 1, out=y)
        t1 = time.perf_counter()
        if r >= warmup:
            times.append(t1 - t0)
    return times


def _cuda_times(problem: str, dims: list[int], warmup: int, repeats: int, flush) -> list[float]:
    import torch

    times = []
    out = torch.empty((dims[0], dims[1]), device="cuda", dtype=torch.float32)
    for r in range(warmup + repeats):
        if problem == "gemm":
            a = torch.randn((dims[0], dims[2]), device="cuda", dtype=torch.float16)
            b = torch.randn((dims[2], dims[1]), device="cuda", dtype=torch.float16)
        else:
            x = torch.randn((dims[0], dims[1]), device="cuda", dtype=torch.float32)
        flush.fill_(r + 1)  # more than the L2 cache, rewritten on the device
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        if problem == "gemm":
            torch.matmul(a, b, out_dtype=torch.float32, out=out) if _has_out_dtype() else out.copy_(a @ b)
        else:
            torch.softmax(x, 1, out=out)
        stop.record()
        stop.synchronize()
        if r >= warmup:
            times.append(start.elapsed_time(stop) / 1e3)
    return times


def _has_out_dtype() -> bool:
    import inspect

    import torch

    try:
        return "out_dtype" in inspect.signature(torch.mm).parameters
    except (TypeError, ValueError):
        return False


def measure(spec: dict[str, Any], report) -> dict[str, Any]:
    """Child side: {"sizes": [{"dims", "time_s"}], "roof": {"dims", "time_s"}, "library": {...}}."""
    import torch

    problem, target = spec["problem"], spec["target"]
    threads, warmup, repeats = spec["threads"], spec["warmup"], spec["repeats"]
    sizes = [list(d) for d in spec["sizes"]]
    roof = list(spec["roof_dims"])
    torch.set_num_threads(threads)
    results: dict[str, Any] = {"sizes": []}
    if target == "cpu":
        from concurrent.futures import ThreadPoolExecutor

        from threadpoolctl import threadpool_limits

        rng, pool = np.random.default_rng(), ThreadPoolExecutor(max_workers=threads)
        flush = np.ones(max(1, spec["flush_bytes"] // 8), dtype=np.int64)
        with threadpool_limits(limits=threads, user_api="blas"):
            results["library"] = {"gemm": "OpenBLAS sgemm through NumPy " + np.__version__,
                                  "softmax": "torch.softmax (ATen CPU kernel), torch " + torch.__version__,
                                  "blas": blas_info(), "threads": threads}
            for i, dims in enumerate(sizes):
                report(i / (len(sizes) + 1), f"library {problem} {'x'.join(map(str, dims))}")
                fn = _cpu_gemm if problem == "gemm" else _cpu_softmax
                times = fn(*(dims if problem == "gemm" else dims[:2]), warmup, repeats, flush, rng, pool)
                results["sizes"].append({"dims": dims, "time_s": _stats(times)})
            report(len(sizes) / (len(sizes) + 1), "library gemm roof")
            results["roof"] = {"dims": roof,
                               "time_s": _stats(_cpu_gemm(*roof, 1, max(3, repeats), flush, rng, pool))}
        return results
    if not torch.cuda.is_available():
        from gpu_runner.errors import Unsupported

        raise Unsupported("no CUDA device visible to torch")
    props = torch.cuda.get_device_properties(0)
    flush = torch.empty(max(2 * getattr(props, "L2_cache_size", 64 << 20), 64 << 20), dtype=torch.uint8,
                        device="cuda")
    results["library"] = {"gemm": f"cuBLAS through torch {torch.__version__} (fp16 inputs, fp32 output)",
                          "softmax": f"torch.softmax (CUDA), torch {torch.__version__}", "device": props.name}
    for i, dims in enumerate(sizes):
        report(i / (len(sizes) + 1), f"library {problem} {'x'.join(map(str, dims))}")
        results["sizes"].append({"dims": dims, "time_s": _stats(_cuda_times(problem, dims, warmup, repeats, flush))})
    results["roof"] = {"dims": roof, "time_s": _stats(_cuda_times("gemm", roof, 2, max(5, repeats), flush))}
    return results
