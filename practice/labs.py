"""Lab jobs on the site's side: create and dispatch by task name, the runner API's state changes, reaping.

The site never imports gpu_runner: it sends `labcontract.task_name(queue)` with the JSON payload, and the
runner reports back through the HTTP API (practice/runner_api.py), every call checked here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as _

import labcontract

from .models import LabJob, Runner, hash_token

LAB_QUEUES = {
    "quant-inference": ("lab.cpu", "lab.cuda"),
    "vllm-batch": ("lab.cpu", "lab.cuda", "lab.vllm"),
    "cpp-tokenizer": ("lab.cpu",),
}
QUEUE_NEEDS = {"lab.cpu": gettext_lazy("CPU"), "lab.cuda": gettext_lazy("CUDA GPU"), "lab.vllm": gettext_lazy("vLLM")}
LAB_SKILLS = {"quant-inference": ["quantization", "gpu-memory"], "vllm-batch": ["inference-acceleration"],
              "cpp-tokenizer": ["cpp-cuda"]}


class ApiError(Exception):
    def __init__(self, status: int, message: str, field: str = ""):
        super().__init__(message)
        self.status, self.field = status, field


def job_create(*, user, lab: str, queue: str, params: dict) -> LabJob:
    if lab not in labcontract.LABS:
        raise ValueError(f"unknown lab {lab!r}")
    if queue not in LAB_QUEUES[lab]:
        raise ValueError(f"{lab} does not run on {queue}")
    filled = labcontract.lab_params_with_defaults(lab, params)  # raises ContractError naming the field
    with transaction.atomic():
        job = LabJob.objects.create(user=user, lab=lab, queue=queue, params=filled)
        transaction.on_commit(lambda: dispatch(job))
    return job


def dispatch(job: LabJob) -> None:
    from config.celery import app

    payload = {"job_id": job.id, "attempt": job.attempt, "lab": job.lab, "params": job.params}
    labcontract.validate("payload", payload)
    app.send_task(labcontract.task_name(job.queue), kwargs=payload, queue=job.queue)


def job_cancel(*, user, job: LabJob) -> bool:
    return bool(LabJob.objects.filter(id=job.id, user=user, status__in=[LabJob.Status.QUEUED, LabJob.Status.RUNNING])
                .update(status=LabJob.Status.CANCELLED, finished_at=timezone.now(), stage=_("已取消")))


def online_runners():
    cutoff = timezone.now() - timezone.timedelta(seconds=settings.RUNNER_HEARTBEAT_TIMEOUT_S)
    return Runner.objects.filter(revoked_at__isnull=True, last_seen_at__gte=cutoff)


def waiting_reason(job: LabJob) -> str:
    """Why a queued job is not moving: no online runner consumes its queue."""
    if job.status != LabJob.Status.QUEUED:
        return ""
    if any(job.queue in r.queues for r in online_runners()):
        return ""
    return gettext_lazy("等待一台支持 %(need)s 的 runner 上线（当前没有在线的 runner 消费 %(queue)s 队列）。") % {
        "need": QUEUE_NEEDS[job.queue], "queue": job.queue}


# ---- runner API ------------------------------------------------------------------------------------


def runner_for_token(header: str) -> Runner:
    if not header.startswith("Bearer "):
        raise ApiError(401, "missing bearer token")
    runner = Runner.objects.filter(token_hash=hash_token(header[7:].strip())).first()
    if runner is None:
        raise ApiError(401, "unknown runner token")
    if runner.revoked_at:
        raise ApiError(401, "runner token revoked")
    return runner


def heartbeat(runner: Runner, body: dict) -> dict:
    Runner.objects.filter(id=runner.id).update(last_seen_at=timezone.now(), capabilities=body["capabilities"])
    return {"ok": True, "runner": runner.name}


def _job_of(runner: Runner, job_id: int, attempt: int, *, claiming: bool = False) -> LabJob:
    job = LabJob.objects.filter(id=job_id).first()
    if job is None:
        raise ApiError(404, "no such job")
    if not claiming and job.runner_id != runner.id:
        if attempt < job.attempt:
            raise ApiError(409, f"attempt {attempt} was superseded by attempt {job.attempt}")
        raise ApiError(403, "this job was not dispatched to this runner")
    return job


def start(runner: Runner, job_id: int, body: dict) -> dict:
    job = _job_of(runner, job_id, body["attempt"], claiming=True)
    attempt = body["attempt"]
    if job.runner_id not in (None, runner.id) and job.attempt == attempt:
        raise ApiError(403, "this job was claimed by another runner")
    claimed = LabJob.objects.filter(id=job.id, status=LabJob.Status.QUEUED, attempt=attempt).update(
        status=LabJob.Status.RUNNING, runner=runner, started_at=timezone.now(), updated_at=timezone.now(),
        system_info=body["system_info"], stage=_("已开始"), progress=0)
    job.refresh_from_db()
    if claimed or (job.status == LabJob.Status.RUNNING and job.runner_id == runner.id and job.attempt == attempt):
        Runner.objects.filter(id=runner.id).update(last_seen_at=timezone.now())
        return {"ok": True, "params": job.params}
    raise ApiError(409, f"job is {job.status} at attempt {job.attempt}; attempt {attempt} cannot start")


def progress(runner: Runner, job_id: int, body: dict) -> dict:
    job = _job_of(runner, job_id, body["attempt"])
    if job.attempt != body["attempt"]:
        raise ApiError(409, "attempt superseded")
    if job.status == LabJob.Status.CANCELLED:
        return {"ok": True, "cancelled": True}
    if job.status != LabJob.Status.RUNNING:
        raise ApiError(409, f"job is {job.status}")
    LabJob.objects.filter(id=job.id, status=LabJob.Status.RUNNING, attempt=body["attempt"]).update(
        progress=body["progress"], stage=body["stage"], log_tail=body.get("log_tail", job.log_tail),
        updated_at=timezone.now())
    Runner.objects.filter(id=runner.id).update(last_seen_at=timezone.now())
    return {"ok": True, "cancelled": False}


def finish(runner: Runner, job_id: int, body: dict, *, succeeded: bool) -> dict:
    job = _job_of(runner, job_id, body["attempt"])
    status = LabJob.Status.SUCCEEDED if succeeded else LabJob.Status.FAILED
    if job.attempt == body["attempt"] and job.status == status:
        return {"ok": True}  # the same call repeated: already recorded
    if job.attempt != body["attempt"] or job.status != LabJob.Status.RUNNING:
        raise ApiError(409, f"job is {job.status} at attempt {job.attempt}")
    values = {"status": status, "finished_at": timezone.now(), "updated_at": timezone.now(),
              "log_tail": body.get("log_tail", job.log_tail)}
    if succeeded:
        values.update(result=body["result"], progress=100, stage=_("完成"))
    else:
        values.update(error=body["error"], stage=_("失败"))
    LabJob.objects.filter(id=job.id, status=LabJob.Status.RUNNING, attempt=body["attempt"]).update(**values)
    return {"ok": True}


def jobs_reap_stale() -> dict:
    """Running jobs whose runner stopped heartbeating are re-queued once, then failed — never left running."""
    cutoff = timezone.now() - timezone.timedelta(seconds=settings.RUNNER_HEARTBEAT_TIMEOUT_S)
    stale = LabJob.objects.filter(status=LabJob.Status.RUNNING).filter(
        Q(runner__last_seen_at__lt=cutoff) | Q(runner__isnull=True) | Q(runner__revoked_at__isnull=False))
    requeued = failed = 0
    for job in stale:
        if job.attempt < job.max_attempts:
            moved = LabJob.objects.filter(id=job.id, status=LabJob.Status.RUNNING, attempt=job.attempt).update(
                status=LabJob.Status.QUEUED, attempt=job.attempt + 1, runner=None, progress=0,
                stage=_("runner 失联，已重新排队"), updated_at=timezone.now())
            if moved:
                job.refresh_from_db()
                dispatch(job)
                requeued += 1
        else:
            failed += LabJob.objects.filter(id=job.id, status=LabJob.Status.RUNNING, attempt=job.attempt).update(
                status=LabJob.Status.FAILED, finished_at=timezone.now(), updated_at=timezone.now(),
                error=_("runner 停止心跳，任务未完成。"), stage=_("失败"))
    return {"lab_jobs_requeued": requeued, "lab_jobs_failed": failed}
