"""How much of the GPU vLLM may take (its gpu_memory_utilization), chosen from the memory free when a job starts.

Why: vLLM reserves gpu_memory_utilization x total memory at start-up and refuses to start when that much is not
free ("Free memory on device (...) on startup is less than desired GPU memory utilization", vLLM's GPU worker). A
desktop GPU drives a display and other processes may hold memory, so a fixed fraction fails there; a fraction of
what is free starts, and a job whose model cannot fit says so, with the figures, before vLLM loads anything.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from gpu_runner.errors import Unsupported

GIB = 1024**3
MAX_FRACTION = 0.9  # vLLM's own default
# vLLM's engine process creates its CUDA context (hundreds of MB) after we look and before it checks.
HEADROOM_BYTES = GIB
# Beyond the weights: activations, CUDA graphs, the sampler and a KV cache of a few thousand tokens.
RUNTIME_BYTES = GIB


def _gib(n: float) -> str:
    return f"{n / GIB:.1f} GiB"


def choose_fraction(*, requested: float | None, free: int, total: int, weight_bytes: int) -> float:
    """The gpu_memory_utilization to start vLLM with: `requested` when it fits what is free, else (None) the
    largest fraction of `total` that leaves HEADROOM_BYTES of `free` (at most MAX_FRACTION), rounded down to 0.01.
    Unsupported, with the figures, when that share cannot hold the weights plus RUNTIME_BYTES."""
    if total <= 0 or free < 0:
        raise ValueError(f"GPU memory figures make no sense: {free} free of {total} bytes")
    need = weight_bytes + RUNTIME_BYTES
    where = f"{_gib(free)} of this GPU's {_gib(total)} are free (other processes hold the rest)"
    if requested is not None:
        if requested * total > free:
            raise Unsupported(f"gpu_memory_utilization {requested:.2f} asks vLLM for {_gib(requested * total)}, but "
                              f"only {where}: lower it, or leave it unset to take what is free")
        if requested * total < need:
            raise Unsupported(f"gpu_memory_utilization {requested:.2f} gives vLLM {_gib(requested * total)}, less "
                              f"than the model's weights ({_gib(weight_bytes)}) plus about {_gib(RUNTIME_BYTES)} "
                              "for activations and a KV cache: raise it")
        return requested
    fraction = min(MAX_FRACTION, math.floor(max(0, free - HEADROOM_BYTES) / total * 100) / 100)
    if fraction * total < need:
        raise Unsupported(f"too little free GPU memory for vLLM: {where}; this model needs about {_gib(need)} "
                          f"(weights {_gib(weight_bytes)} + {_gib(RUNTIME_BYTES)} for activations and a KV cache) "
                          f"besides {_gib(HEADROOM_BYTES)} for vLLM's CUDA context. Free GPU memory or use a "
                          "smaller model")
    return fraction


def model_weight_bytes(model_dir: Path) -> int:
    """Bytes of the checkpoint's weight files (an estimate of what vLLM loads)."""
    return sum(f.stat().st_size for pattern in ("*.safetensors", "*.bin") for f in Path(model_dir).glob(pattern))


def free_memory() -> tuple[int, int]:
    """(free, total) bytes of the job's GPU. Through NVML, so this process never creates a CUDA context (vLLM would
    then have to spawn its engine instead of forking, and the context's memory would count as used); without NVML,
    torch.cuda.mem_get_info in a throwaway interpreter."""
    try:
        import pynvml

        from gpu_runner.measure.nvml import nvml_handle

        pynvml.nvmlInit()
        try:
            mem = pynvml.nvmlDeviceGetMemoryInfo(nvml_handle(pynvml, None))
            return int(mem.free), int(mem.total)
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # noqa: BLE001 - no nvidia-ml-py or no NVML driver library: ask CUDA instead
        code = "import json, torch; print(json.dumps(torch.cuda.mem_get_info()))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise Unsupported(f"cannot read the GPU's free memory (no NVML, and CUDA said: "
                              f"{done.stderr.strip()[-500:]})") from None
        free, total = json.loads(done.stdout)
        return int(free), int(total)
