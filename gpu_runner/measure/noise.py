"""What else used the machine while a job ran: the lab result's top-level "noise" (every lab, CPU and CUDA).

Why: two identical jobs differed 4-27x because another process was busy during the first, and nothing recorded
it. MachineNoise samples, from the job's start to its end:
- the CPU time of every other process: the machine's busy CPU time (psutil.cpu_times, all cores) minus this
  runner process's own and its children's (the labs' fresh processes), so processes that exited during the job
  count too; as seconds and as a share of the machine (others' CPU s / (wall s x logical cores));
- the three heaviest other processes by CPU time gained during the job (name and seconds);
- the load average (1/5/15 min) at the start, the end and the highest 1-minute figure seen (every second);
- the CPU frequency (MHz) at the start and the end and its range, where the OS exposes it (None otherwise);
- on CUDA, NVML's SM clock against its maximum and the clock-throttle reasons at start and end (gpu_clocks).

Shape: {"wall_s", "cpu_count", "own_cpu_s", "other_cpu_s", "other_cpu_share", "top_others": [{"name", "cpu_s"}],
        "loadavg_start": [3 floats], "loadavg_end": [...], "loadavg_max_1m", "cpu_freq_mhz": {"start", "end",
        "min", "max"} | None, "gpu": [{"sm_clock_mhz", "sm_clock_max_mhz", "throttle_reasons": [str]}] | None}
The site (labs/noise.py) flags a run as noisy from it.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import psutil

SAMPLE_INTERVAL_S = 1.0


def _busy(times: Any) -> float:
    return sum(getattr(times, k, 0.0) for k in ("user", "nice", "system", "irq", "softirq", "steal"))


def _own_cpu_s(me: psutil.Process) -> float:
    """This process, its waited-for children, and its live descendants."""
    t = me.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in me.children(recursive=True):
        try:
            c = child.cpu_times()
            total += c.user + c.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def _per_process(exclude: set[int]) -> dict[tuple[int, float], tuple[str, float]]:
    out = {}
    for proc in psutil.process_iter(["name", "cpu_times", "create_time"]):
        if proc.pid in exclude or proc.info["cpu_times"] is None:
            continue
        t = proc.info["cpu_times"]
        out[(proc.pid, proc.info["create_time"] or 0.0)] = (proc.info["name"] or "?", t.user + t.system)
    return out


def _own_pids(me: psutil.Process) -> set[int]:
    try:
        return {me.pid, *(c.pid for c in me.children(recursive=True))}
    except psutil.Error:
        return {me.pid}


def _freq() -> float | None:
    try:
        f = psutil.cpu_freq()
    except Exception:  # noqa: BLE001 - not readable on this OS / container
        return None
    return round(f.current, 1) if f and f.current else None


def _loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def gpu_clocks(nvml: Any = None) -> list[dict[str, Any]] | None:
    """NVML SM clock, its maximum and the active clock-throttle reasons per GPU; None without NVML (CPU hosts)."""
    try:
        if nvml is None:
            from gpu_runner.measure import nvml as telemetry

            nvml = telemetry._load_nvml()
        nvml.nvmlInit()
    except Exception:  # noqa: BLE001 - no driver / no library
        return None
    names = {getattr(nvml, k): k for k in dir(nvml) if k.startswith("nvmlClocksThrottleReason")
             and isinstance(getattr(nvml, k), int)
             and k not in ("nvmlClocksThrottleReasonNone", "nvmlClocksThrottleReasonAll")}
    out = []
    try:
        for i in range(nvml.nvmlDeviceGetCount()):
            h = nvml.nvmlDeviceGetHandleByIndex(i)
            mask = nvml.nvmlDeviceGetCurrentClocksThrottleReasons(h)
            out.append({"sm_clock_mhz": nvml.nvmlDeviceGetClockInfo(h, nvml.NVML_CLOCK_SM),
                        "sm_clock_max_mhz": nvml.nvmlDeviceGetMaxClockInfo(h, nvml.NVML_CLOCK_SM),
                        "throttle_reasons": sorted(n.removeprefix("nvmlClocksThrottleReason")
                                                   for bit, n in names.items() if mask & bit)})
    except Exception:  # noqa: BLE001 - a GPU that stops answering must not fail the job
        return out or None
    finally:
        try:
            nvml.nvmlShutdown()
        except Exception:  # noqa: BLE001
            pass
    return out


class MachineNoise:
    """Start before the lab runs, stop after: stop() returns the "noise" dict."""

    def __init__(self, device: str = "cpu", interval_s: float = SAMPLE_INTERVAL_S):
        self.device, self.interval_s = device, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> MachineNoise:
        self._me = psutil.Process()
        self._t0 = time.monotonic()
        self._busy0 = _busy(psutil.cpu_times())
        self._own0 = _own_cpu_s(self._me)
        self._procs0 = _per_process(_own_pids(self._me))
        self._load0 = _loadavg()
        self._load_max = self._load0[0] if self._load0 else None
        f = _freq()
        self._freqs = [f] if f else []
        self._gpu0 = gpu_clocks() if self.device == "cuda" else None
        self._thread = threading.Thread(target=self._sample, name="machine-noise", daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            load = _loadavg()
            if load:
                self._load_max = max(self._load_max or 0.0, load[0])
            if (f := _freq()) is not None:
                self._freqs.append(f)

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        wall = max(time.monotonic() - self._t0, 1e-9)
        busy = _busy(psutil.cpu_times()) - self._busy0
        own = _own_cpu_s(self._me) - self._own0
        cores = psutil.cpu_count() or 1
        other = max(busy - own, 0.0)
        gained = []
        for key, (name, cpu) in _per_process(_own_pids(self._me)).items():
            before = self._procs0.get(key, (name, 0.0))[1]
            if cpu - before > 0.01:
                gained.append({"name": name, "cpu_s": round(cpu - before, 2)})
        gained.sort(key=lambda p: -p["cpu_s"])
        load = _loadavg()
        f = _freq()
        if f:
            self._freqs.append(f)
        return {
            "wall_s": round(wall, 3), "cpu_count": cores, "own_cpu_s": round(own, 2), "other_cpu_s": round(other, 2),
            "other_cpu_share": round(min(other / (wall * cores), 1.0), 4), "top_others": gained[:3],
            "loadavg_start": self._load0, "loadavg_end": load,
            "loadavg_max_1m": max(self._load_max or 0.0, load[0] if load else 0.0) if load else self._load_max,
            "cpu_freq_mhz": ({"start": self._freqs[0], "end": self._freqs[-1], "min": min(self._freqs),
                              "max": max(self._freqs)} if self._freqs else None),
            "gpu": ({"start": self._gpu0, "end": gpu_clocks()} if self._gpu0 else None),
        }
