"""GPU telemetry through a job, and memory-bandwidth utilisation (MBU) from measured decode speed.

Why: a decode figure alone does not say whether the GPU was busy, near its memory limit or power-capped.
GpuSampler reads NVML (PyPI `nvidia-ml-py`, import name `pynvml`; the separate `pynvml` distribution is
deprecated) on a background thread every `interval_ms` while a job runs and returns the series
{t_s, util_pct, mem_used_bytes, power_w, temperature_c} to store with the result. On a host without NVML
(no NVIDIA driver, as on the development and CI machines) it reports {"status": "unavailable", "reason"}
instead of failing the job. NVML's utilisation is the fraction of the sample period in which any kernel
ran (NVML's nvmlDeviceGetUtilizationRates), not how much of the SMs were used.

MBU: at small batch a decode step reads every weight once, so achieved bandwidth = steps/s x bytes read per
step and MBU = achieved / device bandwidth. Bytes read per step exclude the input-embedding table (each
token gathers one row of it) unless the table is tied to the output head, which reads all of it for the
logits.

Where results carry it (key "telemetry"; absent on CPU jobs):
- worker.job_telemetry: the whole job, start to end, on the lab result's top level (every lab), every 500 ms;
- quant_inference.measure: each ok precision's timed runs, every 100 ms, beside the MBU computed from
  bytes_read_per_token (keys "mbu", "achieved_gb_per_s", "decode_ceiling_tokens_per_s", "bytes_read_per_token").

Shape (GpuSampler.result):
    {"status": "ok", "source": "NVML (nvidia-ml-py)",
     "device": {"name": str, "memory_total_bytes": int, "driver": str|null, "power_limit_w": float|null},
     "interval_ms": int (the final interval; it doubles each time the series is thinned), "samples": int,
     "series": {"t_s": [float], "util_pct": [int|null], "mem_used_bytes": [int|null], "power_w": [float|null],
                "temperature_c": [int|null]},       # parallel lists; t_s from the sampler's start
     "summary": {"util_pct_mean", "util_pct_max", "mem_used_bytes_max", "power_w_mean", "power_w_max"}}
  | {"status": "unavailable", "reason": str}
"""

from __future__ import annotations

import os
import threading
import time
from types import ModuleType
from typing import Any

SERIES_KEYS = ("t_s", "util_pct", "mem_used_bytes", "power_w", "temperature_c")


def _load_nvml() -> ModuleType:
    import pynvml

    return pynvml


def nvml_unavailable_reason(nvml: ModuleType | None = None) -> str | None:
    """None when NVML initialises and sees at least one device, else why not (for the result and the page)."""
    try:
        nvml = nvml or _load_nvml()
    except ImportError as exc:
        return f"nvidia-ml-py is not installed ({exc})"
    try:
        nvml.nvmlInit()
    except Exception as exc:  # noqa: BLE001 - pynvml raises NVMLError subclasses built at run time
        return f"NVML did not initialise: {exc}"
    try:
        if nvml.nvmlDeviceGetCount() < 1:
            return "NVML sees no GPU"
    finally:
        nvml.nvmlShutdown()
    return None


def cuda_order_like_nvml() -> None:
    """Make CUDA number GPUs as NVML (and nvidia-smi) do, by PCI bus id. CUDA's default order is fastest first, so on
    a host with two different GPUs CUDA device 0 (and CUDA_VISIBLE_DEVICES=0) could be NVML's device 1, and the
    telemetry and vLLM's free-memory figure would read another GPU. Called before anything initialises CUDA; child
    processes inherit it."""
    os.environ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"


def nvml_handle(nvml: ModuleType, device_index: int | None) -> Any:
    """The NVML handle of the job's device: CUDA_VISIBLE_DEVICES' first entry when set (index or UUID); an index
    means the same GPU to NVML and CUDA once cuda_order_like_nvml() has run."""
    if device_index is None:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")[0].strip()
        if visible.startswith(("GPU-", "MIG-")):
            return nvml.nvmlDeviceGetHandleByUUID(visible)
        device_index = int(visible) if visible.isdigit() else 0
    return nvml.nvmlDeviceGetHandleByIndex(device_index)


def _read(fn: Any) -> Any:
    """One NVML read; None when the device does not support it (many laptops report no power)."""
    try:
        return fn()
    except Exception:  # noqa: BLE001 - NVMLError_NotSupported and friends
        return None


class GpuSampler:
    """Samples one GPU on a daemon thread; bounded: past max_samples it keeps every other sample and doubles
    the interval, so a long job still spans its whole duration."""

    def __init__(self, interval_ms: int = 200, *, device_index: int | None = None, max_samples: int = 2000,
                 nvml: ModuleType | None = None):
        if interval_ms <= 0 or max_samples < 2:
            raise ValueError("interval_ms must be positive and max_samples at least 2")
        self.interval_s = interval_ms / 1000.0
        self.device_index = device_index
        self.max_samples = max_samples
        self._nvml = nvml
        self._series: dict[str, list[Any]] = {k: [] for k in SERIES_KEYS}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._unavailable: str | None = None
        self._device: dict[str, Any] = {}
        self._started = 0.0
        self._handle: Any = None

    def start(self) -> GpuSampler:
        try:
            nvml = self._nvml or _load_nvml()
        except ImportError as exc:
            self._unavailable = f"nvidia-ml-py is not installed ({exc})"
            return self
        self._nvml = nvml
        try:
            nvml.nvmlInit()
        except Exception as exc:  # noqa: BLE001
            self._unavailable = f"NVML did not initialise: {exc}"
            return self
        try:
            self._handle = nvml_handle(nvml, self.device_index)
            name = nvml.nvmlDeviceGetName(self._handle)
            self._device = {
                "name": name.decode() if isinstance(name, bytes) else str(name),
                "memory_total_bytes": int(nvml.nvmlDeviceGetMemoryInfo(self._handle).total),
                "driver": _text(_read(nvml.nvmlSystemGetDriverVersion)),
                "power_limit_w": _milli(_read(lambda: nvml.nvmlDeviceGetEnforcedPowerLimit(self._handle))),
            }
        except Exception as exc:  # noqa: BLE001
            nvml.nvmlShutdown()
            self._unavailable = f"NVML could not open the device: {exc}"
            return self
        self._started = time.monotonic()
        self._sample()
        self._thread = threading.Thread(target=self._loop, name="gpu-telemetry", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def _sample(self) -> None:
        nvml, h = self._nvml, self._handle
        assert nvml is not None
        util = _read(lambda: nvml.nvmlDeviceGetUtilizationRates(h))
        mem = _read(lambda: nvml.nvmlDeviceGetMemoryInfo(h))
        row = {
            "t_s": round(time.monotonic() - self._started, 4),
            "util_pct": None if util is None else int(util.gpu),
            "mem_used_bytes": None if mem is None else int(mem.used),
            "power_w": _milli(_read(lambda: nvml.nvmlDeviceGetPowerUsage(h))),
            "temperature_c": _read(lambda: int(nvml.nvmlDeviceGetTemperature(h, nvml.NVML_TEMPERATURE_GPU))),
        }
        with self._lock:
            for k in SERIES_KEYS:
                self._series[k].append(row[k])
            if len(self._series["t_s"]) >= self.max_samples:
                for k in SERIES_KEYS:
                    self._series[k] = self._series[k][::2]
                self.interval_s *= 2

    def stop(self) -> dict[str, Any]:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
            self._sample()  # the last moment of the job
            self._thread = None
            assert self._nvml is not None
            _read(self._nvml.nvmlShutdown)
        return self.result()

    def result(self) -> dict[str, Any]:
        if self._unavailable is not None:
            return {"status": "unavailable", "reason": self._unavailable}
        with self._lock:
            series = {k: list(v) for k, v in self._series.items()}
        return {"status": "ok", "source": "NVML (nvidia-ml-py)", "device": self._device,
                "interval_ms": round(self.interval_s * 1000), "samples": len(series["t_s"]), "series": series,
                "summary": summarize(series)}

    def __enter__(self) -> GpuSampler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def summarize(series: dict[str, list[Any]]) -> dict[str, float | None]:
    """Peak memory, mean/peak utilisation and power over the samples that have a value."""
    def vals(key: str) -> list[float]:
        return [float(v) for v in series.get(key, []) if v is not None]

    util, mem, power = vals("util_pct"), vals("mem_used_bytes"), vals("power_w")
    return {"util_pct_mean": sum(util) / len(util) if util else None, "util_pct_max": max(util, default=None),
            "mem_used_bytes_max": max(mem, default=None),
            "power_w_mean": sum(power) / len(power) if power else None, "power_w_max": max(power, default=None)}


def _milli(v: Any) -> float | None:
    return None if v is None else round(float(v) / 1000.0, 3)


def _text(v: Any) -> str | None:
    return v.decode() if isinstance(v, bytes) else (None if v is None else str(v))


# ---- MBU ---------------------------------------------------------------------------------------------


def bytes_read_per_token(model: Any) -> int:
    """Weight bytes one decode step reads: all weights (as stored, quantized formats included), less the
    input-embedding table unless it is tied to the output head, plus the one row each token gathers."""
    from gpu_runner.measure.timing import weight_bytes

    total = weight_bytes(model)
    emb = model.get_input_embeddings()
    out = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if out is not None and _same_storage(getattr(out, "weight", None), emb.weight):
        return total
    table = weight_bytes(emb)
    rows = int(emb.weight.shape[0]) or 1
    return total - table + table // rows


def _same_storage(a: Any, b: Any) -> bool:
    """True when two weights are one tensor (tied). A quantized head (a torchao tensor subclass) has no storage
    of its own to compare, and is never the float embedding table."""
    if a is None or a is b:
        return a is not None
    try:
        return a.data_ptr() == b.data_ptr()
    except RuntimeError:
        return False


def bytes_read_per_token_from_shape(*, params_total: int, vocab: int, hidden: int, bytes_per_param: float,
                                    tied: bool) -> int:
    """The same count from a model's shape (for a report that has no model object)."""
    per_token = params_total * bytes_per_param
    if not tied:
        per_token -= (vocab - 1) * hidden * bytes_per_param
    return int(per_token)


def mbu(decode_tokens_per_s: float, bytes_per_token: int, gb_per_s: float, *, batch: int = 1) -> dict[str, float]:
    """MBU from measured decode tokens/s (all sequences together): a step makes `batch` tokens and reads the
    weights once. Also the ceiling tokens/s at that batch if the whole bandwidth were used."""
    if decode_tokens_per_s < 0 or bytes_per_token <= 0 or gb_per_s <= 0 or batch < 1:
        raise ValueError("decode tokens/s must be >= 0, bytes per token, bandwidth and batch positive")
    bandwidth = gb_per_s * 1e9
    achieved = decode_tokens_per_s / batch * bytes_per_token
    return {"mbu": achieved / bandwidth, "achieved_gb_per_s": achieved / 1e9,
            "decode_ceiling_tokens_per_s": batch * bandwidth / bytes_per_token}
