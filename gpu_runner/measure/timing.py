"""Timing and memory helpers used inside measurement child processes: synchronised timers, percentile
summaries, peak memory, and the byte size of a model's weights whatever format they are stored in."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import psutil


def summarize(samples: list[float], *, scale: float = 1.0) -> dict[str, float]:
    """The one summary of repeated measurements: n, mean, median, p90, p99 (linear interpolation, as numpy and
    optimum-benchmark do), std, min, max — each multiplied by `scale` (1000: seconds to milliseconds)."""
    arr = np.asarray(samples, dtype=float) * scale
    return {"n": int(arr.size), "mean": float(arr.mean()), "median": float(np.median(arr)),
            "p90": float(np.percentile(arr, 90)), "p99": float(np.percentile(arr, 99)), "std": float(arr.std()),
            "min": float(arr.min()), "max": float(arr.max())}


def coefficient_of_variation(samples: list[float]) -> float:
    if len(samples) < 2:
        return 0.0
    mean = statistics.fmean(samples)
    return statistics.stdev(samples) / mean if mean else 0.0


def synchronizer(device: str) -> Callable[[], None]:
    """A barrier for timing: CUDA work is asynchronous, so a timer must wait for the device."""
    if device.startswith("cuda"):
        import torch

        return torch.cuda.synchronize
    return lambda: None


def timed(fn: Callable[[], Any], sync: Callable[[], None]) -> tuple[float, Any]:
    sync()
    start = time.perf_counter()
    out = fn()
    sync()
    return time.perf_counter() - start, out


def current_rss_bytes() -> int:
    return int(psutil.Process().memory_info().rss)


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def weight_bytes(model: Any) -> int:
    """Bytes the model's weights occupy as stored: parameters and buffers, quantized formats included.

    torch.ao dynamic-quantized Linear layers keep their int8 weight in a packed object rather than a
    parameter, and torchao tensor subclasses keep it in inner tensors, so both are unpacked here.
    """
    import torch

    seen: set[int] = set()
    keep: list[torch.Tensor] = []  # unpacked copies must stay alive, or a freed address could be reused
    total = 0

    def add(t: torch.Tensor) -> None:
        nonlocal total
        for inner in _inner_tensors(t):
            key = inner.data_ptr() if inner.device.type != "meta" else id(inner)
            if key in seen:
                continue  # tied weights are stored once
            seen.add(key)
            keep.append(inner)
            total += inner.numel() * inner.element_size()

    for module in model.modules():
        packed = getattr(module, "_packed_params", None)
        if packed is not None and hasattr(packed, "_weight_bias"):
            w, b = packed._weight_bias()
            add(w)
            if b is not None:
                add(b)
        for p in module.parameters(recurse=False):
            add(p)
        skip = getattr(module, "_non_persistent_buffers_set", set())  # e.g. rotary tables: derived, not weights
        for name, b in module.named_buffers(recurse=False):
            if name not in skip:
                add(b)
    return total


def _inner_tensors(t: Any) -> list[Any]:
    import torch

    if getattr(t, "is_quantized", False):  # torch.qint8 per-tensor/per-channel: 1 byte values + scales
        out = [t.int_repr()]
        if t.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric):
            out += [t.q_per_channel_scales(), t.q_per_channel_zero_points()]
        return out
    names = getattr(t, "tensor_data_names", None)  # torchao tensor subclasses
    if names:
        inner = [getattr(t, n) for n in names]
        inner += [getattr(t, n) for n in getattr(t, "optional_tensor_data_names", []) or []
                  if getattr(t, n, None) is not None]
        return [x for i in inner for x in _inner_tensors(i)]
    if hasattr(t, "__tensor_flatten__") and type(t) not in (torch.Tensor, torch.nn.Parameter):
        inner_names, _ = t.__tensor_flatten__()
        return [x for n in inner_names for x in _inner_tensors(getattr(t, n))]
    if hasattr(t, "quant_state") or type(t).__name__ in ("Params4bit", "Int8Params"):
        return [t.data] + _bnb_state_tensors(t)
    return [t]


def _bnb_state_tensors(t: Any) -> list[Any]:
    state = getattr(t, "quant_state", None)
    if state is None:
        scb = getattr(t, "SCB", None)
        return [scb] if scb is not None else []
    tensors = [getattr(state, "absmax", None), getattr(state, "code", None)]
    nested = getattr(state, "state2", None)
    if nested is not None:
        tensors += [getattr(nested, "absmax", None), getattr(nested, "code", None)]
    return [x for x in tensors if x is not None]


def host_load(before: float | None = None) -> dict[str, Any]:
    """The 1-minute load average (before the measurement when given, and now) beside the CPU count: a load above
    the CPU count means other processes shared the cores while this was timed."""
    import os

    now = os.getloadavg()[0]
    return {"before": now if before is None else before, "after": now, "cpus": os.cpu_count()}
