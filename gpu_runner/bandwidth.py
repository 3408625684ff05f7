"""Memory bandwidth of the CUDA device: the decode-speed ceiling at small batch is bandwidth / bytes read
per token. Known GPUs use their published figure; others are measured with a device-to-device copy."""

from __future__ import annotations

from typing import Any

# (name substrings that must all appear, GB/s). Order matters: specific variants before generic ones.
# RTX 4070 Laptop, A100-80G and H200 as in the project's reference facts; the rest from vendor spec sheets.
KNOWN_BANDWIDTH_GB_S: tuple[tuple[tuple[str, ...], float], ...] = (
    (("4070", "laptop"), 256.0),
    (("4090",), 1008.0),
    (("4080",), 716.8),
    (("3090",), 936.2),
    (("a100", "80gb", "pcie"), 1935.0),
    (("a100", "80gb"), 2039.0),
    (("a100",), 1555.0),
    (("h100", "pcie"), 2000.0),
    (("h100", "nvl"), 3900.0),
    (("h100",), 3350.0),
    (("h200",), 4800.0),
    (("l40s",), 864.0),
    (("l40",), 864.0),
    (("l4",), 300.0),
    (("a10",), 600.0),
    (("t4",), 320.0),
)


def known_bandwidth(device_name: str) -> float | None:
    name = device_name.lower()
    for parts, gb_s in KNOWN_BANDWIDTH_GB_S:
        if all(p in name for p in parts):
            return gb_s
    return None


def measure_copy_bandwidth(size_bytes: int = 512 * 1024 * 1024, repeats: int = 20) -> float:
    """GB/s of a device-to-device copy, counting the read and the write (CUDA events, median of repeats)."""
    import torch

    src = torch.empty(size_bytes, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    for _ in range(3):
        dst.copy_(src)
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        dst.copy_(src)
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1000.0)
    times.sort()
    del src, dst
    torch.cuda.empty_cache()
    return 2 * size_bytes / times[len(times) // 2] / 1e9


def device_bandwidth() -> dict[str, Any]:
    import torch

    name = torch.cuda.get_device_name()
    gb_s = known_bandwidth(name)
    if gb_s is not None:
        return {"device": name, "gb_per_s": gb_s, "source": "published specification"}
    return {"device": name, "gb_per_s": measure_copy_bandwidth(), "source": "measured device-to-device copy"}
