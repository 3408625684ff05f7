"""Prometheus metrics of one runner process: jobs run (by lab and outcome), the job it holds now, and GPU
gauges read from NVML at scrape time.

Why its own registry and server: the runner never imports Django, and it runs jobs on Celery's threads pool
(`--pool=threads`, one process), so prometheus_client's ordinary in-process registry is right (its
multiprocess mode is only for forked workers). The server is prometheus_client's own HTTP server, off unless
DEPLOYDOJO_RUNNER_METRICS_PORT is set, bound to loopback unless DEPLOYDOJO_RUNNER_METRICS_ADDR says otherwise
(it has no authentication; put it behind the host's firewall or a reverse proxy before widening it).

Call sites (cli.py and worker.py belong to others):
- gpu_runner/cli.py, before ``app.worker_main(...)``: ``from gpu_runner.service.prometheus import start_metrics_server;
  start_metrics_server()``.
- gpu_runner/service/worker.py, execute_job, replacing the ``return _execute_started(...)`` inside its try::

      with track_job(job_id, payload["lab"]) as job:
          job.outcome = _execute_started(...)
      return job.outcome
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

PORT_ENV = "DEPLOYDOJO_RUNNER_METRICS_PORT"
ADDR_ENV = "DEPLOYDOJO_RUNNER_METRICS_ADDR"
OUTCOMES = ("done", "failed", "cancelled", "skipped", "invalid", "error")


class GpuCollector(Collector):
    """deploydojo_runner_gpu_* gauges, read from NVML on every scrape (nothing sampled in between)."""

    def __init__(self, nvml: ModuleType | None = None):
        self._nvml = nvml

    def collect(self) -> Iterator[GaugeMetricFamily]:
        available = GaugeMetricFamily("deploydojo_runner_gpu_telemetry_available",
                                      "1 when NVML answered this scrape, 0 when there is no NVIDIA driver/GPU")
        families = {
            "util": GaugeMetricFamily("deploydojo_runner_gpu_utilization_percent",
                                      "Percent of the last sample period a kernel ran (NVML)", labels=["gpu", "name"]),
            "used": GaugeMetricFamily("deploydojo_runner_gpu_memory_used_bytes", "GPU memory in use (NVML)",
                                      labels=["gpu", "name"]),
            "total": GaugeMetricFamily("deploydojo_runner_gpu_memory_total_bytes", "GPU memory (NVML)",
                                       labels=["gpu", "name"]),
            "power": GaugeMetricFamily("deploydojo_runner_gpu_power_watts", "Board power draw (NVML)",
                                       labels=["gpu", "name"]),
            "temp": GaugeMetricFamily("deploydojo_runner_gpu_temperature_celsius", "GPU temperature (NVML)",
                                      labels=["gpu", "name"]),
        }
        try:
            nvml = self._nvml
            if nvml is None:
                import pynvml as nvml
            nvml.nvmlInit()
        except Exception:  # noqa: BLE001 - no driver here: report 0, keep the scrape working
            available.add_metric([], 0)
            yield available
            return
        try:
            for i in range(nvml.nvmlDeviceGetCount()):
                h = nvml.nvmlDeviceGetHandleByIndex(i)
                name = nvml.nvmlDeviceGetName(h)
                labels = [str(i), name.decode() if isinstance(name, bytes) else str(name)]
                for key, read in (
                    ("util", lambda h=h: nvml.nvmlDeviceGetUtilizationRates(h).gpu),
                    ("used", lambda h=h: nvml.nvmlDeviceGetMemoryInfo(h).used),
                    ("total", lambda h=h: nvml.nvmlDeviceGetMemoryInfo(h).total),
                    ("power", lambda h=h: nvml.nvmlDeviceGetPowerUsage(h) / 1000.0),
                    ("temp", lambda h=h: nvml.nvmlDeviceGetTemperature(h, nvml.NVML_TEMPERATURE_GPU)),
                ):
                    try:
                        families[key].add_metric(labels, float(read()))
                    except Exception:  # noqa: BLE001 - NVMLError_NotSupported: leave that sample out
                        continue
            available.add_metric([], 1)
        finally:
            nvml.nvmlShutdown()
        yield available
        yield from families.values()


@dataclass
class RunnerMetrics:
    registry: CollectorRegistry
    jobs: Counter
    duration: Histogram
    busy: Gauge
    current: Gauge


def build_registry(nvml: ModuleType | None = None) -> RunnerMetrics:
    registry = CollectorRegistry()
    jobs = Counter("deploydojo_runner_jobs", "Lab jobs this runner process ran, by lab and outcome",
                   ["lab", "outcome"], registry=registry)
    duration = Histogram("deploydojo_runner_job_duration_seconds", "Wall time of a lab job on this runner",
                         ["lab"], registry=registry,
                         buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, float("inf")))
    busy = Gauge("deploydojo_runner_jobs_running", "Lab jobs this runner process holds now", registry=registry)
    current = Gauge("deploydojo_runner_current_job", "1 for each job held now, labelled with its id and lab",
                    ["job_id", "lab"], registry=registry)
    registry.register(GpuCollector(nvml))
    return RunnerMetrics(registry, jobs, duration, busy, current)


METRICS = build_registry()


def job_started(job_id: int, lab: str, metrics: RunnerMetrics = METRICS) -> None:
    metrics.busy.inc()
    metrics.current.labels(job_id=str(job_id), lab=lab).set(1)


def job_finished(job_id: int, lab: str, outcome: str, duration_s: float, metrics: RunnerMetrics = METRICS) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown job outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
    metrics.busy.dec()
    try:
        metrics.current.remove(str(job_id), lab)
    except KeyError:
        pass
    metrics.jobs.labels(lab=lab, outcome=outcome).inc()
    metrics.duration.labels(lab=lab).observe(duration_s)


@dataclass
class _Job:
    outcome: str = "error"


@contextmanager
def track_job(job_id: int, lab: str, metrics: RunnerMetrics = METRICS) -> Iterator[_Job]:
    """Counts the job under the outcome the body sets, or "error" when the body raises."""
    job = _Job()
    started = time.monotonic()
    job_started(job_id, lab, metrics)
    try:
        yield job
    except BaseException:
        job.outcome = "error"
        raise
    finally:
        job_finished(job_id, lab, job.outcome if job.outcome in OUTCOMES else "error",
                     time.monotonic() - started, metrics)


def start_metrics_server(port: int | None = None, addr: str | None = None,
                         metrics: RunnerMetrics = METRICS) -> tuple[Any, Any] | None:
    """Serve /metrics on DEPLOYDOJO_RUNNER_METRICS_PORT (loopback by default); None (off) when it is unset.
    Returns prometheus_client's (server, thread); server.shutdown() stops it."""
    if port is None:
        raw = os.environ.get(PORT_ENV, "").strip()
        if not raw:
            return None
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            raise ValueError(f"{PORT_ENV}={raw!r}: expected a TCP port number 1-65535")
        port = int(raw)
    addr = addr or os.environ.get(ADDR_ENV, "").strip() or "127.0.0.1"
    return start_http_server(port, addr=addr, registry=metrics.registry)
