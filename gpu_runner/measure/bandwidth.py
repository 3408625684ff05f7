"""Memory bandwidth of the CUDA device: the decode-speed ceiling at small batch is bandwidth / bytes read
per token. Known GPUs use their published figure; others are measured with a device-to-device copy.

Names are matched on normalised tokens, never substrings: "RTX A1000" is not an "A100", "T400" is not a
"T4", and a laptop part ("... Laptop GPU") never gets its desktop namesake's figure. A name that matches
no entry, or matches two entries of equal specificity with different figures, is measured instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_LAPTOP = frozenset({"laptop", "mobile", "max-q"})


@dataclass(frozen=True)
class KnownGpu:
    """A published bandwidth: every token in `needs` must appear in the device name, none in `refuses`."""

    needs: frozenset[str]
    gb_per_s: float
    source: str
    refuses: frozenset[str] = frozenset()


def _gpu(needs: str, gb_s: float, source: str, *, desktop: bool = False) -> KnownGpu:
    return KnownGpu(frozenset(needs.split()), gb_s, source, _LAPTOP if desktop else frozenset())


_A100 = "NVIDIA A100 datasheet (nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf), 'GPU Memory Bandwidth'"
_H100 = "NVIDIA H100 product page / datasheet (nvidia.com/en-us/data-center/h100), 'GPU memory bandwidth'"
_H200 = "NVIDIA H200 product page / datasheet (nvidia.com/en-us/data-center/h200), 'GPU Memory Bandwidth'"
_ADA = "NVIDIA Ada GPU Architecture whitepaper v2.1, Table 1 (GeForce RTX 4090 / 4080 specifications)"
_LAPTOPS = ("NVIDIA GeForce RTX 40 Series laptop specifications (nvidia.com/en-us/geforce/laptops/compare): "
            "memory interface width; x the part's GDDR6 data rate")

# One entry per model and variant; laptop variants listed separately from the desktop parts.
KNOWN_GPUS: tuple[KnownGpu, ...] = (
    # Hopper. torch names the SXM part "NVIDIA H100 80GB HBM3"; the PCIe card uses HBM2e.
    _gpu("h200", 4800.0, _H200 + ": H200 SXM and H200 NVL 4.8 TB/s"),
    _gpu("h100 hbm3", 3350.0, _H100 + ": H100 SXM 3.35 TB/s"),
    _gpu("h100 sxm", 3350.0, _H100 + ": H100 SXM 3.35 TB/s"),
    _gpu("h100 sxm5", 3350.0, _H100 + ": H100 SXM 3.35 TB/s"),
    _gpu("h100 pcie", 2000.0, _H100 + ": H100 PCIe 2 TB/s"),
    _gpu("h100 nvl", 3900.0, _H100 + ": H100 NVL 3.9 TB/s"),
    # Ampere data centre. torch: "NVIDIA A100-SXM4-40GB", "NVIDIA A100-PCIE-40GB", "NVIDIA A100 80GB PCIe".
    _gpu("a100 40gb", 1555.0, _A100 + ": A100 40GB PCIe and SXM 1,555 GB/s"),
    _gpu("a100 80gb", 2039.0, _A100 + ": A100 80GB SXM 2,039 GB/s"),
    _gpu("a100 80gb pcie", 1935.0, _A100 + ": A100 80GB PCIe 1,935 GB/s"),
    _gpu("a10", 600.0, "NVIDIA A10 datasheet (nvidia.com/en-us/data-center/products/a10-gpu): 600 GB/s"),
    _gpu("a10g", 600.0, "AWS EC2 G5 instances page (NVIDIA A10G): 600 GB/s per GPU"),
    # Ada data centre.
    _gpu("l4", 300.0, "NVIDIA L4 datasheet (nvidia.com/en-us/data-center/l4): 300 GB/s"),
    _gpu("l40", 864.0, "NVIDIA L40 datasheet (nvidia.com/en-us/data-center/l40): 864 GB/s"),
    _gpu("l40s", 864.0, "NVIDIA L40S datasheet (nvidia.com/en-us/data-center/l40s): 864 GB/s"),
    # Turing data centre. torch: "Tesla T4".
    _gpu("t4", 320.0, "NVIDIA T4 datasheet (t4-tensor-core-datasheet-951643.pdf): 320+ GB/s"),
    # GeForce desktop (refuse laptop names) and laptop parts.
    _gpu("rtx 4090", 1008.0, _ADA + ": 1008 GB/s", desktop=True),
    _gpu("rtx 4080", 716.8, _ADA + ": 716.8 GB/s", desktop=True),
    _gpu("rtx 3090", 936.2, "NVIDIA Ampere GA102 GPU Architecture whitepaper, RTX 3090: 936 GB/s", desktop=True),
    _gpu("rtx 4090 laptop", 576.0, _LAPTOPS + ": 256-bit x 18 Gbps = 576 GB/s"),
    _gpu("rtx 4080 laptop", 432.0, _LAPTOPS + ": 192-bit x 18 Gbps = 432 GB/s"),
    _gpu("rtx 4070 laptop", 256.0, _LAPTOPS + ": 128-bit x 16 Gbps = 256 GB/s"),
)


def name_tokens(device_name: str) -> frozenset[str]:
    """Lower-case alphanumeric tokens of a device name ("NVIDIA A100-SXM4-40GB" -> nvidia a100 sxm4 40gb);
    "Max-Q" stays one token."""
    name = device_name.lower().replace("max-q", "max_q")
    return frozenset(t.replace("max_q", "max-q") for t in re.findall(r"[a-z0-9_]+", name))


def lookup(device_name: str) -> KnownGpu | None:
    """The most specific entry whose tokens all appear in the name; None when none or an ambiguous tie."""
    tokens = name_tokens(device_name)
    hits = [g for g in KNOWN_GPUS if g.needs <= tokens and not (g.refuses & tokens)]
    if not hits:
        return None
    best = max(len(g.needs) for g in hits)
    top = [g for g in hits if len(g.needs) == best]
    if len({g.gb_per_s for g in top}) > 1:
        return None
    return top[0]


def known_bandwidth(device_name: str) -> float | None:
    gpu = lookup(device_name)
    return gpu.gb_per_s if gpu else None


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
    gpu = lookup(name)
    if gpu is not None:
        return {"device": name, "gb_per_s": gpu.gb_per_s, "source": f"published specification: {gpu.source}"}
    return {"device": name, "gb_per_s": measure_copy_bandwidth(), "source": "measured device-to-device copy"}
