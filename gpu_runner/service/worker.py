"""The runner's Celery worker: one task name per queue it serves, each running execute_job(), plus the
heartbeat thread. execute_job() is plain Python so it can be driven directly against any HTTP site."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import labcontract
from gpu_runner.errors import LabCancelled
from gpu_runner.labs import LabContext, lab_runner
from gpu_runner.measure.noise import MachineNoise
from gpu_runner.process.fresh import LogTail
from gpu_runner.service.prometheus import track_job
from gpu_runner.service.site_client import Conflict, SiteClient, SiteError

log = logging.getLogger(__name__)

PROGRESS_MIN_INTERVAL_S = 2.0
VISIBILITY_TIMEOUT_S = 12 * 3600  # Redis redelivers unacked messages after this: longer than any lab


class JobProgress:
    """Posts a job's progress, at most every PROGRESS_MIN_INTERVAL_S unless the stage changes, and
    remembers whether the site cancelled the job (or stopped accepting this attempt)."""

    def __init__(self, client: SiteClient, job_id: int, attempt: int, log_tail: LogTail):
        self.client, self.job_id, self.attempt, self.log_tail = client, job_id, attempt, log_tail
        self.cancelled = False
        self._last_post = 0.0
        self._last_stage = ""

    def __call__(self, percent: int, stage: str) -> bool:
        if self.cancelled:
            return True
        now = time.monotonic()
        if stage == self._last_stage and now - self._last_post < PROGRESS_MIN_INTERVAL_S and percent < 100:
            return False
        self._last_post, self._last_stage = now, stage
        try:
            self.cancelled = self.client.progress(self.job_id, self.attempt, percent, stage, self.log_tail.text())
        except Conflict:
            self.cancelled = True  # cancelled, finished elsewhere or superseded: stop working on it
        except (SiteError, ConnectionError) as exc:
            log.warning("job %s: progress not posted: %s", self.job_id, exc)  # measuring matters more
        return self.cancelled


class RunningJobs:
    """The job ids this process works on now, reported with every heartbeat (thread-safe: the Celery
    threads pool runs jobs while the heartbeat thread reads the set)."""

    def __init__(self) -> None:
        self._ids: set[int] = set()
        self._lock = threading.Lock()

    def add(self, job_id: int) -> None:
        with self._lock:
            self._ids.add(job_id)

    def discard(self, job_id: int) -> None:
        with self._lock:
            self._ids.discard(job_id)

    def ids(self) -> list[int]:
        with self._lock:
            return sorted(self._ids)


RUNNING = RunningJobs()
BOOT_ID = uuid.uuid4().hex


def device_for(queue: str | None, capabilities: dict[str, Any]) -> str:
    if queue in ("lab.cuda", "lab.vllm"):
        return "cuda"
    if queue == "lab.cpu":
        return "cpu"
    return "cuda" if capabilities.get("cuda_devices") else "cpu"


def execute_job(payload: dict[str, Any], client: SiteClient, *, queue: str | None = None,
                capabilities: dict[str, Any] | None = None, child_timeout_s: float = 3600.0) -> str:
    """Run one lab job end to end. Returns what happened: "done", "failed" (also for a posted result that reports
    a check that did not run, see labcontract.result_failure), "cancelled", "skipped"
    (the site refused to start it: cancelled, taken or already finished) or "invalid"."""
    try:
        labcontract.validate("payload", payload)
    except labcontract.ContractError as exc:
        log.error("rejecting malformed job payload: %s", exc)
        return "invalid"
    job_id, attempt = payload["job_id"], payload["attempt"]
    if capabilities is None:
        from gpu_runner.service.capabilities import probe

        capabilities = probe(check_vllm=False)
    system_info = {**capabilities, "hostname": socket.gethostname(), "queue": queue}
    # Registered before start, so no heartbeat can ever report this process as not holding a job it holds.
    RUNNING.add(job_id)
    try:
        with track_job(job_id, payload["lab"]) as tracked:  # the runner's /metrics (gpu_runner/service/prometheus.py)
            tracked.outcome = _execute_started(payload, client, job_id, attempt, system_info, queue,
                                               capabilities, child_timeout_s)
        return tracked.outcome
    finally:
        RUNNING.discard(job_id)


def _execute_started(payload: dict[str, Any], client: SiteClient, job_id: int, attempt: int,
                     system_info: dict[str, Any], queue: str | None, capabilities: dict[str, Any],
                     child_timeout_s: float) -> str:
    try:
        started = client.start(job_id, attempt, system_info)
    except Conflict:
        log.info("job %s attempt %s: site refused start (cancelled, taken or finished)", job_id, attempt)
        return "skipped"
    except SiteError as exc:
        log.error("job %s attempt %s: start rejected: %s", job_id, attempt, exc)
        return "skipped"
    tail = LogTail()
    progress = JobProgress(client, job_id, attempt, tail)
    try:
        params = labcontract.lab_params_with_defaults(payload["lab"], started.get("params", payload["params"]),
                                                      queue=queue)
        ctx = LabContext(device=device_for(queue, capabilities), capabilities=capabilities, progress=progress,
                         log=tail, child_timeout_s=child_timeout_s)
        noise = MachineNoise(ctx.device).start()
        try:
            with job_telemetry(ctx.device) as telemetry:
                result = lab_runner(payload["lab"])(params, ctx)
        finally:
            recorded = noise.stop()
        if telemetry.result is not None:
            result["telemetry"] = telemetry.result
        if isinstance(result, dict):
            result["noise"] = recorded  # what else used the machine (gpu_runner.measure.noise)
    except LabCancelled:
        log.info("job %s attempt %s: cancelled by the site", job_id, attempt)
        return "cancelled"
    except Exception as exc:  # any lab failure is reported to the site, not raised to Celery
        log.exception("job %s attempt %s failed", job_id, attempt)
        return _post_failure(client, job_id, attempt, f"{type(exc).__name__}: {exc}", tail.text())
    try:
        labcontract.validate_result(payload["lab"], result)
    except labcontract.ContractError as exc:
        # Never post a half-valid result: the site would refuse it anyway; the learner sees the field named.
        log.error("job %s attempt %s: result breaks the %s result schema: %s", job_id, attempt, payload["lab"], exc)
        return _post_failure(client, job_id, attempt, f"the runner produced an invalid result: {exc}", tail.text())
    try:
        client.result(job_id, attempt, result, tail.text())
    except Conflict:
        log.info("job %s attempt %s: result already recorded or attempt superseded", job_id, attempt)
    except (SiteError, ValueError) as exc:
        return _post_failure(client, job_id, attempt, f"the site did not accept the result: {exc}", tail.text())
    # A check that did not run (a C++ tokenizer that does not compile) is posted with its report, and the site
    # records the job as failed with the checker's message.
    return "failed" if labcontract.result_failure(payload["lab"], result) else "done"


JOB_TELEMETRY_INTERVAL_MS = 500
JOB_TELEMETRY_MAX_SAMPLES = 400  # ~14 KB of series in the posted result however long the job runs


class _JobTelemetry:
    result: dict[str, Any] | None = None


@contextlib.contextmanager
def job_telemetry(device: str) -> Iterator[_JobTelemetry]:
    """NVML sampling of the job's GPU from start to end of a CUDA job (stopped on every way out). Its result goes
    under the lab result's top-level "telemetry" key (shape: gpu_runner.measure.nvml.GpuSampler.result); CPU jobs
    carry none."""
    holder = _JobTelemetry()
    if device != "cuda":
        yield holder
        return
    from gpu_runner.measure.nvml import GpuSampler

    sampler = GpuSampler(interval_ms=JOB_TELEMETRY_INTERVAL_MS, max_samples=JOB_TELEMETRY_MAX_SAMPLES).start()
    try:
        yield holder
    finally:
        holder.result = sampler.stop()


def _post_failure(client: SiteClient, job_id: int, attempt: int, error: str, log_tail: str) -> str:
    try:
        client.failure(job_id, attempt, error, log_tail)
    except Conflict:
        pass  # already finished or cancelled: nothing left to report
    except SiteError as exc:
        log.error("job %s: failure not accepted: %s", job_id, exc)
    return "failed"


class Heartbeat(threading.Thread):
    """Posts HEARTBEAT at start and every interval until stopped; failures are logged, never fatal. Each
    beat lists the jobs this process holds, so a restarted runner's first beat (an empty list) releases
    the jobs its previous process died with."""

    def __init__(self, client: SiteClient, capabilities: dict[str, Any],
                 interval_s: float = labcontract.HEARTBEAT_INTERVAL_S, running: RunningJobs = RUNNING):
        super().__init__(name="heartbeat", daemon=True)
        self.client, self.capabilities, self.interval_s, self.running = client, capabilities, interval_s, running
        self.stop_event = threading.Event()
        self.beats = 0

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                answer = self.client.heartbeat(self.capabilities, self.running.ids(), BOOT_ID)
                if answer.get("released"):
                    log.warning("the site released jobs this process does not hold: %s", answer["released"])
                self.beats += 1
            except (SiteError, ConnectionError) as exc:
                log.warning("heartbeat not accepted: %s", exc)
            self.stop_event.wait(self.interval_s)

    def stop(self) -> None:
        self.stop_event.set()


def make_celery_app(broker_url: str, queues: list[str], client: SiteClient, capabilities: dict[str, Any],
                    consume: list[str] | None = None) -> Any:
    """A Celery app of the runner's own: one task name per capability queue in `queues`, consuming only
    `consume` (this runner's own queues, e.g. lab.cpu.r5; default: `queues` themselves)."""
    from celery import Celery
    from kombu import Queue

    # fixups=[]: Celery's Django fixup would import Django whenever DJANGO_SETTINGS_MODULE is set in the
    # environment (a host that also runs the site); the runner never imports Django.
    app = Celery("gpu_runner", broker=broker_url, set_as_current=False, fixups=[])
    # Celery's broker_url reads CELERY_BROKER_URL from the environment before any configured value, so an
    # explicit --broker-url must be put there (the runner is a process of its own).
    os.environ["CELERY_BROKER_URL"] = broker_url
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_ignore_result=True, task_queues=[Queue(q, routing_key=q) for q in (consume or queues)],
        task_default_queue=(consume or queues)[0], broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    if broker_url.startswith(("redis", "rediss", "sentinel")):
        # Only Redis takes this; the SQLAlchemy broker of `make run` would hand it to create_engine and fail.
        app.conf.broker_transport_options = {"visibility_timeout": VISIBILITY_TIMEOUT_S}
    for queue in queues:
        app.task(name=labcontract.task_name(queue), acks_late=True, reject_on_worker_lost=True,
                 autoretry_for=(ConnectionError,), retry_backoff=30, max_retries=5)(
            _task_for(queue, client, capabilities))
    return app


def _task_for(queue: str, client: SiteClient, capabilities: dict[str, Any]) -> Any:
    def run_lab(job_id: int, attempt: int, lab: str, params: dict[str, Any]) -> str:
        payload = {"job_id": job_id, "attempt": attempt, "lab": lab, "params": params}
        return execute_job(payload, client, queue=queue, capabilities=capabilities)

    run_lab.__name__ = run_lab.__qualname__ = labcontract.task_name(queue).replace(".", "_")
    return run_lab
