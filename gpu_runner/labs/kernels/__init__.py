"""Kernel lab: the learner's own GEMM or softmax, built and run in the sandbox under the lab's harness, judged
on fresh inputs against NumPy, timed like the library (measured in the same job) and placed on this machine's
measured roofline. C++ on the CPU against OpenBLAS; CUDA on the runner's GPU against cuBLAS."""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path
from typing import Any

import sandbox
from gpu_runner.errors import ChildFailed, Unsupported
from gpu_runner.labs import LabContext
from gpu_runner.labs.kernels import harness, roofline
from gpu_runner.labs.kernels.library import _stats
from gpu_runner.service import capabilities

LAB = "kernels"
DEFAULT_SIZES: dict[str, dict[str, list[list[int]]]] = {
    "cpu": {"gemm": [[128, 128, 128], [255, 257, 129], [512, 512, 512], [768, 1536, 384], [1024, 1024, 1024]],
            "softmax": [[128, 1000], [1024, 1024], [1023, 4097], [2048, 4096]]},
    "cuda": {"gemm": [[512, 512, 512], [1023, 1025, 1027], [2048, 2048, 2048], [4096, 1024, 4096],
                      [4096, 4096, 4096]],
             "softmax": [[1024, 1024], [4096, 4097], [4096, 8192]]},
}
ROOF_DIMS = {"cpu": [1024, 1024, 1024], "cuda": [8192, 8192, 8192]}
FLUSH_MIN, FLUSH_MAX = 64 << 20, 1 << 30
COPY_REPEATS = 5


def last_level_cache_bytes() -> int | None:
    """The largest cache of cpu0 (sysfs), or None when the kernel does not say."""
    sizes = []
    for path in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*/size"):
        text = Path(path).read_text().strip().upper()
        scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
        try:
            sizes.append(int(text.rstrip("KMG")) * scale)
        except ValueError:
            continue
    return max(sizes) if sizes else None


def flush_bytes(llc: int | None) -> int:
    """Twice the last-level cache, at least 64 MiB (an unknown cache) and at most 1 GiB."""
    return max(FLUSH_MIN, min(FLUSH_MAX, 2 * (llc or 0)))


def cuda_toolchain(ctx: LabContext) -> dict[str, Any]:
    """nvcc's CUDA home and the GPU device nodes to bind into the sandbox; raises Unsupported saying what lacks."""
    if not ctx.capabilities.get("cuda_devices"):
        raise Unsupported("no CUDA GPU on this runner: the CUDA kernel needs a runner with an NVIDIA GPU (lab.cuda)")
    home = os.environ.get("CUDA_HOME") or ("/usr/local/cuda" if os.path.isdir("/usr/local/cuda") else None)
    nvcc = shutil.which("nvcc")
    if home is None and nvcc:
        home = str(Path(nvcc).resolve().parent.parent)
    if not home or not os.path.exists(os.path.join(home, "bin", "nvcc")):
        raise Unsupported("nvcc not found (set CUDA_HOME or install the CUDA toolkit): CUDA kernels cannot be built")
    devices = sorted(d for d in glob.glob("/dev/nvidia*") if not os.path.isdir(d))
    return {"home": os.path.realpath(home), "devices": devices}


def run(params: dict[str, Any], ctx: LabContext) -> dict[str, Any]:
    problem, target = params["problem"], params.get("target", "cpu")
    result: dict[str, Any] = {"lab": LAB, "problem": problem, "target": target,
                              "source_bytes": len(params["source"].encode())}
    cuda = None
    if target == "cuda":
        try:
            cuda = cuda_toolchain(ctx)
        except Unsupported as exc:
            return {**result, "status": "unsupported", "reason": str(exc), "message": str(exc)}
    ok, why = sandbox.available()
    if not ok:
        return {**result, "status": "UNAVAILABLE", "message": why}
    limits = harness.Limits()
    if result["source_bytes"] > limits.max_source_bytes:
        return {**result, "status": "REJECTED", "message": f"source is over {limits.max_source_bytes} bytes"}
    ctx.report(3, "compiling in the sandbox")
    kernel, compiled = harness.compile_kernel(params["source"], target, limits, cuda)
    result["compile"] = compiled
    if kernel is None:
        return {**result, "status": "CE", "message": compiled["message"] or "the compiler failed"}
    ctx.report(8, "building the harness")
    driver = harness.build_driver(target)
    threads = params.get("threads") or harness.threads_default()
    llc = last_level_cache_bytes()
    flush = flush_bytes(llc)
    warmup, repeats = params.get("warmup", 1), params.get("repeats", 5)
    sizes = [list(d) for d in (params.get("sizes") or DEFAULT_SIZES[target][problem])]
    result["machine"] = {"cpu": capabilities.cpu_model(), "threads": threads, "llc_bytes": llc,
                         "flush_bytes": flush, "gpu": (ctx.capabilities.get("cuda_devices") or [{}])[0].get("name")
                         if target == "cuda" else None}
    result["settings"] = {"warmup": warmup, "repeats": repeats, "sizes": sizes}
    entries = judge_sizes(ctx, driver=driver, kernel=kernel, problem=problem, target=target, sizes=sizes,
                          warmup=warmup, repeats=repeats, flush=flush, threads=threads, cuda=cuda)
    result["sizes"] = entries
    failed = next((e for e in entries if e["status"] not in ("ok", "skipped")), None)
    result["status"] = "ok" if failed is None else failed["status"]
    result["message"] = _message(problem, failed)
    if any(e["status"] == "ok" for e in entries):
        add_comparison(ctx, result, driver=driver, threads=threads, flush=flush, llc=llc,
                       with_library=params.get("library", True), cuda=cuda)
    ctx.report(100, "done")
    return result


def judge_sizes(ctx: LabContext, *, driver: Path, kernel: bytes, problem: str, target: str, sizes: list[list[int]],
                warmup: int, repeats: int, flush: int, threads: int, cuda: dict | None) -> list[dict[str, Any]]:
    """One sandboxed harness run per size, every run's output judged; stops at the first size that fails."""
    entries: list[dict[str, Any]] = []
    check = harness.check_gemm if problem == "gemm" else harness.check_softmax
    for i, dims in enumerate(sizes):
        if entries and entries[-1]["status"] != "ok":
            entries.append({"dims": dims, "status": "skipped"})
            continue
        ctx.report(10 + 60 * i / len(sizes), f"{problem} {'x'.join(map(str, dims))}: running and checking")
        seed = harness.new_seed()
        try:
            runs = harness.run_size(driver=driver, kernel=kernel, problem=problem, dims=dims, warmup=warmup,
                                    repeats=repeats, flush_bytes=flush, seed=seed, threads=threads,
                                    wall_s=harness.Limits().run_wall_s, target=target, cuda=cuda)
        except harness.KernelFailed as exc:
            entries.append({"dims": dims, "status": exc.status, "message": exc.message})
            continue
        checks = [check(seed, r, dims, out, target=target) for r, (_, out) in enumerate(runs)]
        errors = [c["max_error"] for c in checks]
        entry: dict[str, Any] = {"dims": dims, "status": "ok", "checked": checks[0]["checked"],
                                 "max_error": None if None in errors else max(errors),
                                 "time_s": _stats([t for t, _ in runs[warmup:]])}
        bad = next((c for c in checks if not c["ok"]), None)
        if bad:
            entry.update(status="WA", first_bad=bad["first_bad"])
        entries.append(entry)
    return entries


def _message(problem: str, failed: dict[str, Any] | None) -> str:
    if failed is None:
        return "every run of every size matched the reference"
    size = "x".join(map(str, failed["dims"]))
    if failed["status"] == "WA":
        b = failed["first_bad"]
        return (f"wrong answer at size {size}, run {b['run']}: first bad element [{b['row']}][{b['col']}] = "
                f"{b['got']}, expected {b['expected']} (allowed error {b['allowed_abs_error']:.3g})")
    return f"{failed['status']} at size {size}: {failed.get('message', '')}"


def add_comparison(ctx: LabContext, result: dict[str, Any], *, driver: Path, threads: int, flush: int,
                   llc: int | None, with_library: bool, cuda: dict | None) -> None:
    """The library at the same sizes (fresh child process), the copy bandwidth, and the roofline points."""
    problem, target, settings = result["problem"], result["target"], result["settings"]
    ok = [e for e in result["sizes"] if e["status"] == "ok"]
    library: dict[str, Any] = {}
    if with_library:
        spec = {"problem": problem, "target": target, "threads": threads, "warmup": settings["warmup"],
                "repeats": settings["repeats"], "sizes": [e["dims"] for e in ok], "flush_bytes": flush,
                "roof_dims": ROOF_DIMS[target]}
        try:
            library = ctx.run_child("gpu_runner.labs.kernels.library:measure", spec, start=72, end=90,
                                    stage="library baseline")
        except (Unsupported, ChildFailed) as exc:
            result.setdefault("notes", []).append(f"library baseline not measured: {str(exc)[-500:]}")
    ctx.report(92, "copy bandwidth")
    copy = measure_copy(driver, target, llc, threads, cuda)
    result["library"] = library.get("library")
    peak = None
    lib_by_dims = {tuple(s["dims"]): s["time_s"] for s in library.get("sizes", [])}
    if library.get("roof"):
        roof_s = library["roof"]["time_s"]["median"]
        peak = roofline.ops("gemm", library["roof"]["dims"], target)[0] / roof_s / 1e9
        if problem == "gemm":
            peak = max([peak, *(roofline.ops("gemm", list(d), target)[0] / t["median"] / 1e9
                                for d, t in lib_by_dims.items())])
    datasheet = roofline.gpu_datasheet(result["machine"]["gpu"]) if target == "cuda" and result["machine"]["gpu"] \
        else None
    points = []
    for e in ok:
        kernel_point = roofline.point("kernel", "kernel", problem, e["dims"], target, e["time_s"]["median"], peak,
                                      copy.get("gb_s"))
        e.update(gflop_s=kernel_point["gflop_s"], gb_s=kernel_point["gb_s"], intensity=kernel_point["intensity"],
                 share_of_bound=kernel_point["share_of_bound"])
        points.append(kernel_point)
        lib = lib_by_dims.get(tuple(e["dims"]))
        if lib:
            lib_point = roofline.point("library", "library", problem, e["dims"], target, lib["median"], peak,
                                       copy.get("gb_s"))
            e["library"] = {"time_s": lib, "gflop_s": lib_point["gflop_s"]}
            e["share_of_library"] = round(lib["median"] / e["time_s"]["median"], 4)
            points.append(lib_point)
    result["roofline"] = {"copy": copy, "peak_gflop_s": None if peak is None else round(peak, 3),
                          "peak_source": "the library's best GEMM in this job" if peak else None,
                          "ridge_intensity": round(peak / copy["gb_s"], 3) if peak and copy.get("gb_s") else None,
                          "datasheet": datasheet, "points": points}


def measure_copy(driver: Path, target: str, llc: int | None, threads: int, cuda: dict | None) -> dict[str, Any]:
    """STREAM's Copy (c[i] = a[i], 8 bytes moved per float: one read, one write; best of the repeats as STREAM
    reports), arrays twice the last-level cache (64 MiB .. 512 MiB each)."""
    floats = max(FLUSH_MIN, min(FLUSH_MAX // 2, 2 * (llc or 0))) // 4
    try:
        times = harness.measure_copy(driver, floats, COPY_REPEATS, threads, cuda)
    except RuntimeError as exc:
        return {"error": str(exc)}
    return {"gb_s": round(8 * floats / min(times) / 1e9, 3), "median_gb_s": round(8 * floats / _stats(times)["median"]
                                                                                    / 1e9, 3),
            "array_bytes": floats * 4, "repeats": len(times), "threads": threads if target == "cpu" else None,
            "method": "STREAM Copy c[i] = a[i]: 8 bytes per element (read + write), best of the repeats"}
