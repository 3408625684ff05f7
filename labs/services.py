"""Lab jobs on the site's side: create and dispatch by task name, the runner API's state changes, reaping.

The site never imports gpu_runner: it sends `labcontract.task_name(queue)` with the JSON payload, and the
runner reports back through the HTTP API (labs/api.py), every call checked here.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_noop as _

import labcontract
from core.versions import bump_user_version

from . import registry
from .models import LabJob, Runner, hash_token

log = logging.getLogger(__name__)


class Refused(Exception):
    """A runner's call the domain refuses, and why (labs/api.py answers each kind with its HTTP status).
    keep_changes: what the call wrote stays (the job failed with the refusal's reason) although it is refused."""

    def __init__(self, message: str, field: str = "", *, keep_changes: bool = False):
        super().__init__(message)
        self.field, self.keep_changes = field, keep_changes


class Invalid(Refused):
    """The body does not fit the contract."""


class TooLarge(Refused):
    """The body is over the runner API's size limit."""


class NotAuthenticated(Refused):
    """No token, an unknown one or a revoked one."""


class NotAllowed(Refused):
    """The runner may not do this (a job of its own user that it was not given, a public address over HTTP)."""


class NoSuchJob(Refused):
    """No such job, or none this runner may know of (the two answer alike, so ids do not leak)."""


class StateConflict(Refused):
    """The job's state or attempt no longer takes this call (cancelled, finished, superseded)."""


def job_create(*, user, lab: str, queue: str, params: dict) -> LabJob:
    if lab not in labcontract.LABS or lab not in registry.LABS:
        raise ValueError(f"unknown lab {lab!r}")
    # Raises ContractError naming the field: a queue the lab (or these parameters) cannot run on included.
    filled = labcontract.lab_params_with_defaults(lab, params, queue=queue)
    if refusal := model_refusal(user, lab, queue, filled):
        raise refusal
    with transaction.atomic():
        job = LabJob.objects.create(user=user, lab=lab, queue=queue, params=filled)
        transaction.on_commit(lambda: dispatch(job))
    if not transaction.get_connection().in_atomic_block:
        job.refresh_from_db()  # dispatched on commit: show which runner it went to, or why none
    return job


def _model_field(lab: str) -> bool:
    return "model" in labcontract.LAB_PARAMS.get(lab, {}).get("properties", {})


def runner_models(user, queues) -> list[str] | None:
    """The models the user's usable runners serving any of `queues` report, in the order they report them; None
    when one of those runners reports none (an older runner: what it holds is unknown) or there is no such
    runner."""
    runners = [r for r in usable_runners(user) if set(r.queues) & set(queues)]
    if not runners or any(not isinstance(r.capabilities.get("models"), list) for r in runners):
        return None
    return list(dict.fromkeys(m for r in runners for m in r.capabilities["models"] if isinstance(m, str)))


def model_refusal(user, lab: str, queue: str, params: dict) -> labcontract.ContractError | None:
    """A model the runners that could take this job do not hold is refused before it is queued (the /etc/passwd
    job of issue 18): only when every such runner reports its models."""
    model = params.get("model")
    if not _model_field(lab) or not isinstance(model, str):
        return None
    held = runner_models(user, [queue])
    if held is None or model in held:
        return None
    return labcontract.ContractError(
        gettext("没有一台能运行 %(queue)s 的 runner 有模型 “%(model)s”。可选：%(held)s（runner 的模型目录下带 "
                "config.json 的目录，或内置模型）。") % {"queue": queue, "model": model, "held": "、".join(held)},
        field="model")


def usable_runners(user):
    """The runners a user's jobs may run on: their own, and those an admin shared with everyone."""
    return Runner.objects.filter(Q(owner=user) | Q(shared=True), revoked_at__isnull=True)


def _serves(runner: Runner, job: LabJob) -> bool:
    """The one rule: an online runner serving the job's capability, owned by the job's user or shared."""
    return runner.is_online and job.queue in runner.queues and (runner.owner_id == job.user_id or runner.shared)


def choose_runner(job: LabJob) -> Runner | None:
    """Among the owner's usable online runners that serve the job's capability: their own first, then the
    least loaded."""
    cutoff = timezone.now() - timedelta(seconds=settings.RUNNER_HEARTBEAT_TIMEOUT_S)
    able = [r for r in usable_runners(job.user).filter(last_seen_at__gte=cutoff) if _serves(r, job)]
    if not able:
        return None
    load = dict(LabJob.objects.filter(target__in=able, status__in=[LabJob.Status.QUEUED, LabJob.Status.RUNNING])
                .values("target").annotate(n=Count("id")).values_list("target", "n"))
    return min(able, key=lambda r: (r.owner_id != job.user_id, load.get(r.id, 0), r.id))


def _still_usable(job: LabJob) -> Runner | None:
    return job.target if job.target is not None and _serves(job.target, job) else None


def _fail_queued(jobs, why: str) -> int:
    """Fail the still-queued jobs among `jobs` (a queryset) with `why`; returns how many."""
    now = timezone.now()
    return jobs.filter(status=LabJob.Status.QUEUED).update(status=LabJob.Status.FAILED, finished_at=now,
                                                           updated_at=now, stage=_("失败"), error=why)


def dispatch(job: LabJob) -> bool:
    """Send the job's task to the queue of one runner its owner may use (the one it was sent to before if
    that one is still usable). With none online, the job waits untargeted; the next heartbeat of a usable
    runner sends it. A broker that cannot be reached fails the job with a message saying so (the learner
    sees it on the job page) instead of leaving it queued with no message anywhere."""
    from kombu import Queue

    from config.celery import app

    job = LabJob.objects.select_related("target", "user").get(id=job.id)
    target = _still_usable(job) or choose_runner(job)
    if target is None:
        LabJob.objects.filter(id=job.id, status=LabJob.Status.QUEUED).update(target=None)
        return False
    payload = {"job_id": job.id, "attempt": job.attempt, "lab": job.lab, "params": job.params}
    labcontract.validate("payload", payload)
    name = labcontract.runner_queue(job.queue, target.id)
    LabJob.objects.filter(id=job.id).update(target=target, dispatched_at=timezone.now(),
                                            dispatches=F("dispatches") + 1)
    try:
        app.send_task(labcontract.task_name(job.queue), kwargs=payload, queue=Queue(name, routing_key=name),
                      retry=True)
        return True
    except Exception as exc:  # kombu/redis connection errors
        log.error("lab job %s: could not enqueue: %s", job.id, exc)
        _fail_queued(LabJob.objects.filter(id=job.id),
                     _("任务队列暂时不可用（无法连接消息代理），任务没有排上队。请稍后重新提交。"))
        return False


def job_cancel(*, user, job: LabJob) -> bool:
    return bool(LabJob.objects.filter(id=job.id, user=user, status__in=[LabJob.Status.QUEUED, LabJob.Status.RUNNING])
                .update(status=LabJob.Status.CANCELLED, finished_at=timezone.now(), stage=_("已取消")))


def waiting_reason(job: LabJob) -> str:
    """What a queued job waits for: the runner it was sent to, or why no runner of the owner's can take it."""
    if job.status != LabJob.Status.QUEUED:
        return ""
    if job.target_id and _still_usable(job):
        return gettext_lazy("已派给 runner「%(name)s」，等它接手。") % {"name": job.target.name}
    if choose_runner(job) is not None:
        return ""  # an able runner is online: its next heartbeat (or the reaper) sends the job there
    need = registry.QUEUE_NEEDS.get(job.queue, job.queue)
    return gettext_lazy("等待一台支持 %(need)s 的 runner 上线：你自己的或管理员共享的 runner 中，"
                        "当前没有在线且能运行 %(queue)s 的。") % {"need": need, "queue": job.queue}


def runner_revoke(*, runner: Runner) -> dict:
    """Revoke a runner's token. Jobs waiting for it are sent to another runner their owner may use, or
    failed with a message when there is none; a job it was running is handled by the reaper."""
    Runner.objects.filter(id=runner.id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    moved = failed = 0
    for job in LabJob.objects.filter(target=runner, status=LabJob.Status.QUEUED):
        if dispatch(job):
            moved += 1
        else:
            failed += _fail_queued(LabJob.objects.filter(id=job.id),
                                   _("这个任务等待的 runner 已被吊销，且没有别的可用 runner。"))
    return {"rerouted": moved, "failed": failed}


def dispatch_waiting(runner: Runner, limit: int = 20) -> int:
    """Send queued jobs that wait for a runner (untargeted) and that this runner may serve."""
    waiting = LabJob.objects.filter(status=LabJob.Status.QUEUED, target__isnull=True, queue__in=runner.queues)
    if not runner.shared:
        waiting = waiting.filter(user_id=runner.owner_id)
    return sum(dispatch(job) for job in waiting.order_by("created_at")[:limit])


# ---- runner API ------------------------------------------------------------------------------------


def runner_for_token(header: str) -> Runner:
    if not header.startswith("Bearer "):
        raise NotAuthenticated("missing bearer token")
    runner = Runner.objects.filter(token_hash=hash_token(header[7:].strip())).first()
    if runner is None:
        raise NotAuthenticated("unknown runner token")
    if runner.revoked_at:
        raise NotAuthenticated("runner token revoked")
    return runner


def heartbeat(runner: Runner, body: dict) -> dict:
    now = timezone.now()
    runner.last_seen_at, runner.capabilities = now, body["capabilities"]
    Runner.objects.filter(id=runner.id).update(last_seen_at=now, capabilities=body["capabilities"])
    released: list[int] = []
    if "running_jobs" in body:
        # Jobs the site has as running here that the process does not hold died with an earlier process (a
        # restart faster than the heartbeat timeout). Jobs started within one interval are spared: their
        # start may have raced this beat.
        grace = now - timedelta(seconds=labcontract.HEARTBEAT_INTERVAL_S)
        orphans = LabJob.objects.filter(runner=runner, status=LabJob.Status.RUNNING, started_at__lt=grace).exclude(
            id__in=body["running_jobs"])
        for job in orphans:
            if _requeue_or_fail(job, _("runner 重启，丢失了正在运行的任务。")):
                released.append(job.id)
    dispatch_waiting(runner)  # runner_for_token has refused a revoked runner already
    own = [labcontract.runner_queue(q, runner.id) for q in runner.queues if q in labcontract.QUEUES]
    return {"ok": True, "runner": runner.name, "released": released, "queues": own}


NO_SUCH_JOB = "no such job (or not one for this runner)"


def _job_of(runner: Runner, job_id: int, attempt: int, *, claiming: bool = False) -> LabJob:
    """The job a runner calls about. One it may not touch (not sent to it, not run by it, not its owner's)
    answers 404 exactly as one that does not exist: the API does not say which job ids exist (issue 17)."""
    job = LabJob.objects.filter(id=job_id).first()
    if job is None or runner.id not in (job.target_id, job.runner_id) and job.user_id != runner.owner_id:
        raise NoSuchJob(NO_SUCH_JOB)
    if not claiming and job.runner_id != runner.id:
        if attempt < job.attempt:
            raise StateConflict(f"attempt {attempt} was superseded by attempt {job.attempt}")
        raise NotAllowed("this job was not dispatched to this runner")
    return job


def start(runner: Runner, job_id: int, body: dict) -> dict:
    job = _job_of(runner, job_id, body["attempt"], claiming=True)
    attempt = body["attempt"]
    if job.target_id != runner.id:
        # Only the runner the job was sent to may start it and receive its inputs (another user's source).
        raise NotAllowed("this job was not dispatched to this runner")
    if job.runner_id not in (None, runner.id) and job.attempt == attempt:
        raise NotAllowed("this job was claimed by another runner")
    claimed = LabJob.objects.filter(id=job.id, status=LabJob.Status.QUEUED, attempt=attempt).update(
        status=LabJob.Status.RUNNING, runner=runner, started_at=timezone.now(), updated_at=timezone.now(),
        system_info=body["system_info"], stage=_("已开始"), progress=0)
    job.refresh_from_db()
    if claimed or (job.status == LabJob.Status.RUNNING and job.runner_id == runner.id and job.attempt == attempt):
        Runner.objects.filter(id=runner.id).update(last_seen_at=timezone.now())
        return {"ok": True, "params": job.params}
    raise StateConflict(f"job is {job.status} at attempt {job.attempt}; attempt {attempt} cannot start")


def progress(runner: Runner, job_id: int, body: dict) -> dict:
    job = _job_of(runner, job_id, body["attempt"])
    if job.attempt != body["attempt"]:
        raise StateConflict("attempt superseded")
    if job.status == LabJob.Status.CANCELLED:
        return {"ok": True, "cancelled": True}
    if job.status != LabJob.Status.RUNNING:
        raise StateConflict(f"job is {job.status}")
    LabJob.objects.filter(id=job.id, status=LabJob.Status.RUNNING, attempt=body["attempt"]).update(
        progress=body["progress"], stage=body["stage"], log_tail=body.get("log_tail", job.log_tail),
        updated_at=timezone.now())
    Runner.objects.filter(id=runner.id).update(last_seen_at=timezone.now())
    return {"ok": True, "cancelled": False}


def finish(runner: Runner, job_id: int, body: dict, *, succeeded: bool) -> dict:
    job = _job_of(runner, job_id, body["attempt"])
    status = LabJob.Status.SUCCEEDED if succeeded else LabJob.Status.FAILED
    repeated = job.status == status or (succeeded and job.status == LabJob.Status.FAILED
                                        and job.result is not None and job.result == body["result"])
    if job.attempt == body["attempt"] and repeated:
        return {"ok": True}  # the same call repeated: already recorded
    if job.attempt != body["attempt"] or job.status != LabJob.Status.RUNNING:
        raise StateConflict(f"job is {job.status} at attempt {job.attempt}")
    values = {"status": status, "finished_at": timezone.now(), "updated_at": timezone.now(),
              "log_tail": body.get("log_tail", job.log_tail)}
    if succeeded:
        try:
            labcontract.validate_result(job.lab, body["result"])
        except labcontract.ContractError as exc:
            # Not stored half-valid: the job fails with the field named, and the runner hears why (400).
            values.update(status=LabJob.Status.FAILED, stage=_("失败"), error=f"the runner's result was refused: {exc}")
            LabJob.objects.filter(id=job.id, status=LabJob.Status.RUNNING, attempt=body["attempt"]).update(**values)
            raise Invalid(str(exc), exc.field, keep_changes=True) from None
        values.update(result=body["result"], progress=100, stage=_("完成"))
        failure = labcontract.result_failure(job.lab, body["result"])
        if failure:  # a check that did not run: its report is kept for the page, the job is failed
            values.update(status=LabJob.Status.FAILED, stage=_("失败"), error=failure)
    else:
        values.update(error=body["error"], stage=_("失败"))
    if LabJob.objects.filter(id=job.id, status=LabJob.Status.RUNNING, attempt=body["attempt"]).update(**values):
        bump_user_version(job.user_id)  # a measured result is evidence on the dashboard
    return {"ok": True}


def _requeue_or_fail(job: LabJob, why: str) -> str:
    """A running job that lost its runner: re-queued as a new attempt while attempts remain, then failed
    with `why`. Returns "requeued", "failed" or "" when the job had already moved on."""
    running = LabJob.objects.filter(id=job.id, status=LabJob.Status.RUNNING, attempt=job.attempt)
    now = timezone.now()
    if job.attempt < job.max_attempts:
        if not running.update(status=LabJob.Status.QUEUED, attempt=job.attempt + 1, runner=None, progress=0,
                              stage=_("%s 已重新排队。") % why, updated_at=now):
            return ""
        job.refresh_from_db()
        dispatch(job)
        return "requeued"
    if running.update(status=LabJob.Status.FAILED, finished_at=now, updated_at=now, error=why, stage=_("失败")):
        return "failed"
    return ""


def jobs_reap_stale() -> dict:
    """No lab job is left unfinished: running jobs whose runner stopped heartbeating, or that made no
    progress for LAB_STALL_TIMEOUT_S while it still beats, are re-queued once, then failed; queued jobs
    whose message was lost (an able runner sits idle) are sent again, then failed; a job no runner took
    within LAB_QUEUED_MAX_AGE_S is failed with a message."""
    now = timezone.now()
    counts = {"lab_jobs_requeued": 0, "lab_jobs_failed": 0, "lab_jobs_resent": 0}
    cutoff = now - timedelta(seconds=settings.RUNNER_HEARTBEAT_TIMEOUT_S)
    running = LabJob.objects.filter(status=LabJob.Status.RUNNING)
    silent = running.filter(Q(runner__last_seen_at__lt=cutoff) | Q(runner__isnull=True)
                            | Q(runner__revoked_at__isnull=False))
    stalled = running.filter(updated_at__lt=now - timedelta(seconds=settings.LAB_STALL_TIMEOUT_S))
    minutes = settings.LAB_STALL_TIMEOUT_S // 60
    for jobs, why in ((silent, _("runner 停止心跳，任务未完成。")),
                      (stalled.exclude(id__in=silent.values("id")),
                       gettext_lazy("任务 %(m)d 分钟没有进度（runner 仍在线），判定为卡住。") % {"m": minutes})):
        for job in jobs:
            outcome = _requeue_or_fail(job, str(why))
            if outcome:
                counts[f"lab_jobs_{outcome}"] += 1
    counts["lab_jobs_resent"], expired = _resend_lost(now)
    counts["lab_jobs_failed"] += expired
    return counts


def _resend_lost(now) -> tuple[int, int]:
    queued = LabJob.objects.filter(status=LabJob.Status.QUEUED)
    expired = _fail_queued(queued.filter(created_at__lt=now - timedelta(seconds=settings.LAB_QUEUED_MAX_AGE_S)),
                           _("没有 runner 在期限内接下这个任务。请确认你的 runner 在线后重新提交。"))
    busy = set(LabJob.objects.filter(status=LabJob.Status.RUNNING).values_list("runner_id", flat=True))
    resent = 0
    due = now - timedelta(seconds=settings.LAB_REDISPATCH_AFTER_S)
    # A job never sent (no runner was online) counts from its creation.
    overdue = queued.filter(Q(dispatched_at__lt=due) | Q(dispatched_at__isnull=True, created_at__lt=due))
    for job in overdue.select_related("target"):
        target = _still_usable(job)
        if target is None:
            resent += dispatch(job)  # its runner went away (or none was online): route it again
            continue
        if target.id in busy:
            continue  # its runner is busy: waiting is expected, not a lost message
        if job.dispatches >= settings.LAB_MAX_DISPATCHES:
            expired += _fail_queued(LabJob.objects.filter(id=job.id),
                                    _("任务消息多次丢失（消息代理重启或数据丢失），请重新提交。"))
            continue
        resent += dispatch(job)
    return resent, expired


def runner_local_token() -> str:
    """The token of the local CPU runner that `make run` starts, kept in var/ (mode 0600) across restarts."""
    path = settings.VAR_DIR / "local-runner-token"
    if path.exists():
        token = path.read_text().strip()
        if Runner.objects.filter(token_hash=hash_token(token), revoked_at__isnull=True).update(shared=True):
            return token
    owner = get_user_model().objects.filter(is_superuser=True).order_by("id").first()
    runner, token = Runner.create_with_token(owner=owner, name="local-cpu")
    # The site's own runner serves every account of this `make run` install.
    Runner.objects.filter(id=runner.id).update(shared=True)
    path.write_text(token)
    path.chmod(0o600)
    return token


def job_timing(job: LabJob, *, now=None) -> dict | None:
    """A running job's elapsed seconds and, where one can be made, an estimate of what is left: from the user's
    last succeeded job of the same lab with the same parameters (how long it took), else from the progress so
    far (elapsed x (100 - p) / p, once p >= 5 %). None for a job that is not running."""
    if job.status != LabJob.Status.RUNNING or job.started_at is None:
        return None
    now = now or timezone.now()
    elapsed = max((now - job.started_at).total_seconds(), 0.0)
    same = (LabJob.objects.filter(user_id=job.user_id, lab=job.lab, params=job.params, status=LabJob.Status.SUCCEEDED,
                                  started_at__isnull=False, finished_at__isnull=False)
            .exclude(id=job.id).order_by("-finished_at").only("id", "started_at", "finished_at").first())
    if same is not None:
        took = (same.finished_at - same.started_at).total_seconds()
        return {"elapsed_s": elapsed, "remaining_s": max(took - elapsed, 0.0), "basis": "previous",
                "previous_id": same.id, "previous_s": took}
    if job.progress >= 5:
        return {"elapsed_s": elapsed, "remaining_s": elapsed * (100 - job.progress) / job.progress,
                "basis": "progress"}
    return {"elapsed_s": elapsed, "remaining_s": None, "basis": None}
