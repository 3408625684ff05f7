"""The roofline of the machine a job ran on: memory bandwidth from a STREAM-like copy and compute from the
library's best GEMM, both measured in the job, beside the datasheet where the device is known; every measured
size of the kernel and of the library becomes a point (arithmetic intensity, achieved GFLOP/s, the bound at
that intensity, the share of it reached)."""

from __future__ import annotations

from typing import Any

from gpu_runner.measure import bandwidth

# Dense FP16 Tensor Core throughput with FP32 accumulate, TFLOP/s (no sparsity), per published datasheets.
_FP16_TFLOPS = (
    ("h200", 989.5, "NVIDIA H200 datasheet: FP16 Tensor Core 1,979 TFLOPS with sparsity (989.5 dense)"),
    ("h100 pcie", 756.0, "NVIDIA H100 datasheet: H100 PCIe FP16 Tensor Core 1,513 TFLOPS with sparsity"),
    ("h100", 989.5, "NVIDIA H100 datasheet: H100 SXM FP16 Tensor Core 1,979 TFLOPS with sparsity"),
    ("a100", 312.0, "NVIDIA A100 datasheet: FP16 Tensor Core 312 TFLOPS"),
    ("rtx 4090", 165.2, "NVIDIA Ada whitepaper v2.1, Table 1: RTX 4090 peak FP16 Tensor TFLOPS with FP32 "
                        "accumulate 165.2"),
)


def gpu_datasheet(device_name: str) -> dict[str, Any] | None:
    """Published bandwidth and FP16 tensor throughput for a known GPU name, or None."""
    tokens = bandwidth.name_tokens(device_name)
    known = bandwidth.lookup(device_name)
    compute = next((entry for entry in _FP16_TFLOPS if frozenset(entry[0].split()) <= tokens
                    and not (bandwidth._LAPTOP & tokens)), None)
    if known is None and compute is None:
        return None
    return {"gb_per_s": known.gb_per_s if known else None, "bandwidth_source": known.source if known else None,
            "gflop_s": compute[1] * 1000 if compute else None, "compute_source": compute[2] if compute else None}


def ops(problem: str, dims: list[int], target: str) -> tuple[float, float]:
    """(floating-point operations, compulsory bytes) of one call. GEMM: 2MNK flops; A, B read once and C
    written once (fp32 on the CPU; fp16 A and B, fp32 C on CUDA). Softmax: 5 flops per element (max, subtract,
    exp, sum, scale), 8 bytes per element (read x, write y)."""
    if problem == "gemm":
        m, n, k = dims
        in_bytes = 4 if target == "cpu" else 2
        return 2.0 * m * n * k, float(in_bytes * (m * k + k * n) + 4 * m * n)
    rows, cols = dims[:2]
    return 5.0 * rows * cols, 8.0 * rows * cols


def point(label: str, who: str, problem: str, dims: list[int], target: str, seconds: float,
          peak_gflop_s: float | None, copy_gb_s: float | None) -> dict[str, Any]:
    flops, nbytes = ops(problem, dims, target)
    gflop_s = flops / seconds / 1e9
    intensity = flops / nbytes
    bound = None
    if peak_gflop_s and copy_gb_s:
        bound = min(peak_gflop_s, intensity * copy_gb_s)
    return {"label": label, "who": who, "dims": dims, "intensity": round(intensity, 4),
            "gflop_s": round(gflop_s, 3), "gb_s": round(nbytes / seconds / 1e9, 3),
            "bound_gflop_s": None if bound is None else round(bound, 3),
            "bound": None if bound is None else ("memory" if bound < (peak_gflop_s or 0) else "compute"),
            "share_of_bound": None if not bound else round(gflop_s / bound, 4)}
