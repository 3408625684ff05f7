"""Published GPU figures the planner reads: memory, memory bandwidth, dense fp16/bf16 and int8 tensor throughput,
and the GPU-to-GPU link, each with the document it comes from. Pure data, no Django.

Dense means without structured sparsity: where a datasheet prints only the sparse figure (marked * there), the
dense one is half of it. GeForce fp16 is "FP16 Tensor TFLOPS with FP32 accumulate" (what PyTorch runs); GeForce
laptop parts are quoted at the top of their boost range, so a thin laptop runs below these figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.capacity import Hardware

_ADA = "NVIDIA Ada GPU Architecture whitepaper v2.1, Appendix A (RTX 4090)"
_GEFORCE = "nvidia.com GeForce RTX 40 Series specifications (memory, bus, 'AI TOPS' = sparse int8/fp8)"
_LAPTOPS = "nvidia.com GeForce RTX 40 Series Laptops compare page (memory, bus width x data rate, 'AI TOPS')"
_AMPERE_GA102 = "NVIDIA Ampere GA102 GPU Architecture whitepaper v2, Table 9 (RTX 3090)"


@dataclass(frozen=True)
class Gpu:
    slug: str
    hardware: Hardware
    source: str
    note: str = ""


def _gpu(slug: str, name: str, mem: float, bw: float, fp16: float, int8: float | None, link: float | None,
         source: str, *, pcie: float = 64.0, bf16: bool = True, note: str = "") -> Gpu:
    return Gpu(slug, Hardware(name, mem, bw, fp16, int8, link, pcie, bf16), source, note)


# Laptop dense figures: AI TOPS / 2 = dense int8; / 4 = dense fp16 with fp16 accumulate; / 8 = fp32 accumulate.
GPUS: tuple[Gpu, ...] = (
    _gpu("rtx-4060-laptop", "RTX 4060 Laptop", 8, 256, 29.1, 116.5, None,
         _LAPTOPS + ": 8 GB GDDR6, 128-bit x 16 Gbps = 256 GB/s; 233 AI TOPS", pcie=32.0,
         note="PCIe 4.0 x8 on most laptops"),
    _gpu("rtx-4070-laptop", "RTX 4070 Laptop", 8, 256, 40.1, 160.5, None,
         _LAPTOPS + ": 8 GB GDDR6, 128-bit x 16 Gbps = 256 GB/s; 321 AI TOPS", pcie=32.0,
         note="PCIe 4.0 x8 on most laptops"),
    _gpu("rtx-4090-laptop", "RTX 4090 Laptop", 16, 576, 85.8, 343.0, None,
         _LAPTOPS + ": 16 GB GDDR6, 256-bit x 18 Gbps = 576 GB/s; 686 AI TOPS"),
    _gpu("rtx-4060", "RTX 4060", 8, 272, 30.2, 121.0, None,
         _GEFORCE + ": 8 GB GDDR6, 128-bit x 17 Gbps = 272 GB/s; 242 AI TOPS", pcie=32.0, note="PCIe 4.0 x8"),
    _gpu("rtx-4070", "RTX 4070", 12, 504, 58.3, 233.0, None,
         _GEFORCE + ": 12 GB GDDR6X, 192-bit x 21 Gbps = 504 GB/s; 466 AI TOPS"),
    _gpu("rtx-4090", "RTX 4090", 24, 1008, 165.2, 660.6, None,
         _ADA + ": 24 GB GDDR6X, 1008 GB/s, 165.2 FP16 TFLOPS (FP32 acc.), 660.6 INT8 TOPS"),
    _gpu("rtx-3090", "RTX 3090", 24, 936, 71.0, 284.0, 112.5,
         _AMPERE_GA102 + ": 24 GB GDDR6X, 936 GB/s, 71 FP16 TFLOPS (FP32 acc.), 284 INT8 TOPS, NVLink 112.5 GB/s"),
    _gpu("a10", "A10", 24, 600, 125.0, 250.0, None,
         "NVIDIA A10 datasheet: 24 GB GDDR6, 600 GB/s, BF16 125 TFLOPS, INT8 250 TOPS (dense), PCIe Gen4 64 GB/s"),
    _gpu("l4", "L4", 24, 300, 121.0, 242.5, None,
         "NVIDIA L4 datasheet: 24 GB GDDR6, 300 GB/s, BF16 242 / INT8 485 TOPS with sparsity, PCIe Gen4 64 GB/s"),
    _gpu("t4", "T4", 16, 320, 65.0, 130.0, None,
         "NVIDIA T4 datasheet: 16 GB GDDR6, 320+ GB/s, mixed FP16/FP32 65 TFLOPS, INT8 130 TOPS, PCIe Gen3 32 GB/s",
         pcie=32.0, bf16=False, note="Turing: no bf16 (use fp16)"),
    _gpu("v100-sxm2-32gb", "V100 SXM2 32GB", 32, 900, 125.0, None, 300.0,
         "NVIDIA V100 datasheet: 32 GB HBM2, 900 GB/s, 125 tensor TFLOPS, NVLink 300 GB/s", pcie=32.0, bf16=False,
         note="Volta: no bf16 and no int8 tensor cores"),
    _gpu("a100-40gb", "A100 40GB SXM", 40, 1555, 312.0, 624.0, 600.0,
         "NVIDIA A100 datasheet: 40 GB HBM2, 1,555 GB/s, BF16 312 TFLOPS, INT8 624 TOPS, NVLink 600 GB/s"),
    _gpu("a100-80gb", "A100 80GB SXM", 80, 2039, 312.0, 624.0, 600.0,
         "NVIDIA A100 datasheet: 80 GB HBM2e, 2,039 GB/s, BF16 312 TFLOPS, INT8 624 TOPS, NVLink 600 GB/s"),
    _gpu("h100-pcie", "H100 PCIe", 80, 2000, 756.0, 1513.0, 600.0,
         "NVIDIA H100 datasheet: H100 PCIe 80 GB, 2 TB/s, BF16 1,513 / INT8 3,026 with sparsity, NVLink bridge "
         "600 GB/s, PCIe Gen5 128 GB/s", pcie=128.0),
    _gpu("h100-sxm", "H100 SXM", 80, 3350, 989.0, 1979.0, 900.0,
         "NVIDIA H100 datasheet: H100 SXM 80 GB, 3.35 TB/s, BF16 1,979 / INT8 3,958 with sparsity, NVLink 900 GB/s",
         pcie=128.0),
    _gpu("h200", "H200 SXM", 141, 4800, 989.0, 1979.0, 900.0,
         "NVIDIA H200 datasheet: 141 GB HBM3e, 4.8 TB/s, BF16 1,979 / INT8 3,958 with sparsity, NVLink 900 GB/s",
         pcie=128.0),
)

BY_SLUG = {g.slug: g for g in GPUS}


def gpu(slug: str) -> Gpu:
    return BY_SLUG[slug]
