"""Practice writes: creating submissions, judging them idempotently, reaping stale work."""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import asdict
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.versions import bump_user_version

from .models import Exercise, Submission

log = logging.getLogger(__name__)

UNFINISHED = (Submission.Status.QUEUED, Submission.Status.RUNNING)
QUEUE_DOWN = gettext_noop(
    "判题队列暂时不可用（无法连接消息代理），这次提交没有判题。你的代码还在编辑器里，请稍后重新提交。")
LOST_IN_QUEUE = gettext_noop("判题队列多次丢失了这个提交（消息代理重启或数据丢失），请重新提交。")
WORKER_LOST = gettext_noop("判题进程中断，请重新提交。")


class SubmissionRefused(Exception):
    """The submission was not accepted (its source or answer is not one); the message is shown to the learner."""


class TooManyUnfinished(SubmissionRefused):
    """Refused for the learner's pace, not the submission: enough of theirs are still queued or running."""


def submission_create(*, user, exercise: Exercise, source: str = "", mode: str = Submission.Mode.SUBMIT,
                      answer: str = "") -> Submission:
    if exercise.kind == Exercise.Kind.NUMERIC:
        return _numeric_submit(user=user, exercise=exercise, answer=answer)
    if not source.strip():
        raise SubmissionRefused(_("代码为空。"))
    if "\x00" in source:
        raise SubmissionRefused(_("代码里有 NUL 字符（\\0），无法保存。请删除它后再提交。"))
    if len(source.encode("utf-8")) > settings.JUDGE_MAX_SOURCE_BYTES:
        raise SubmissionRefused(_("代码超过 64 KiB 上限。"))
    with transaction.atomic():
        # Lock the user's row so two parallel requests cannot both slip under the limit.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        unfinished = Submission.objects.filter(user=user, status__in=UNFINISHED).count()
        if unfinished >= settings.JUDGE_MAX_UNFINISHED:
            raise TooManyUnfinished(
                _("你已有 %(n)d 个提交在排队或运行，请等它们判完再提交。") % {"n": unfinished})
        submission = Submission.objects.create(user=user, exercise=exercise, source=source, mode=mode,
                                               enqueued_at=timezone.now(), deliveries=1)
        bump_user_version(user.id)  # the dashboard's activity counts submissions
        transaction.on_commit(lambda: _enqueue(submission.id))
    if not transaction.get_connection().in_atomic_block:
        submission.refresh_from_db()  # the enqueue ran on commit: show its outcome (queue down) at once
    return submission


def _enqueue(submission_id: int) -> bool:
    """Send the judge task. A broker that cannot be reached ends the submission with a message saying so,
    so it neither blocks the learner's unfinished-submission cap nor waits forever."""
    from .tasks import grade_submission

    try:
        grade_submission.apply_async((submission_id,), retry=True)
        return True
    except Exception as exc:  # kombu/redis connection errors have no common base worth naming
        log.error("submission %s: could not enqueue: %s", submission_id, exc)
        Submission.objects.filter(id=submission_id, status=Submission.Status.QUEUED).update(
            status=Submission.Status.DONE, verdict="IE", message=QUEUE_DOWN, finished_at=timezone.now())
        return False


def _numeric_submit(*, user, exercise: Exercise, answer: str) -> Submission:
    try:
        value = float(answer.strip().replace(",", ""))
    except ValueError:
        raise SubmissionRefused(_("请输入一个数字。")) from None
    tol = exercise.tolerance or {}
    ok = math.isfinite(value) and math.isclose(value, exercise.answer, rel_tol=tol.get("rel", 1e-9),
                                               abs_tol=tol.get("abs", 0.0))
    now = timezone.now()
    submission = Submission.objects.create(
        user=user, exercise=exercise, source=answer.strip()[:200], mode=Submission.Mode.SUBMIT,
        status=Submission.Status.DONE, verdict="AC" if ok else "WA", score=1.0 if ok else 0.0,
        passed=int(ok), total=1, started_at=now, finished_at=now,
        message="" if ok else gettext_noop("与参考答案相差超过允许误差。"),
    )
    bump_user_version(user.id)
    return submission


def _tests_for(submission: Submission) -> tuple[list[list], list, list[str]]:
    exercise = submission.exercise
    examples = exercise.examples
    args = [e["args"] for e in examples]
    expected = [e["expected"] for e in examples]
    kinds = ["example"] * len(examples)
    if submission.mode == Submission.Mode.SUBMIT:
        args += [t["args"] for t in exercise.tests]
        expected += [t["expected"] for t in exercise.tests]
        kinds += ["hidden"] * len(exercise.tests)
    return args, expected, kinds


def submission_judge(submission_id: int) -> Submission | None:
    """Run and grade one submission. Safe to call twice: only the latest claimed attempt writes a verdict."""
    claimed = Submission.objects.filter(id=submission_id, status__in=UNFINISHED)
    now = timezone.now()
    if not claimed.update(status=Submission.Status.RUNNING, started_at=now, heartbeat_at=now,
                          attempt=F("attempt") + 1):
        return None  # already judged (a re-delivered task): never grade twice
    submission = Submission.objects.select_related("exercise").get(id=submission_id)
    attempt = submission.attempt
    args, expected, kinds = _tests_for(submission)
    with _JudgeHeartbeat(submission_id, attempt):
        report, verdict = _run_and_grade(submission, args, expected, kinds)
    tests = []
    for i, (test, kind) in enumerate(zip(verdict.tests, kinds, strict=False)):
        shown = {"args": args[i], "expected": expected[i],
                 "actual": report.tests[i].actual if i < len(report.tests) else None} if kind == "example" else {}
        tests.append(_public_result(i, test, kind) | _clip(shown))
    message = verdict.message
    failing = next((t for t in tests if t["verdict"] != "AC"), None)
    if failing and failing["kind"] == "hidden" and verdict.verdict == failing["verdict"]:
        # A learner's exception text could echo hidden inputs: hidden failures name only test and verdict.
        message = f"test {failing['index']} (hidden): {failing['verdict']}"
    outcome = {
        "status": Submission.Status.DONE, "verdict": verdict.verdict, "score": verdict.score,
        "passed": verdict.passed, "total": verdict.total, "message": message[:4000], "results": tests,
        "complexity_exponent": verdict.complexity_exponent, "unsandboxed": verdict.unsandboxed,
        "finished_at": timezone.now(),
    }
    # Only the latest claimed attempt may write: a stale duplicate delivery finds its attempt superseded.
    written = Submission.objects.filter(id=submission_id, status=Submission.Status.RUNNING, attempt=attempt).update(
        **outcome)
    if not written:
        return None
    bump_user_version(submission.user_id)  # a verdict can solve an exercise: skill levels move
    for name, value in outcome.items():
        setattr(submission, name, value)
    return submission


def _clip(shown: dict, limit: int = 2000) -> dict:
    """Examples shown on the page are capped so a huge return value cannot bloat the row."""
    out = {}
    for key, value in shown.items():
        text = json.dumps(value, ensure_ascii=False, default=repr)
        out[key] = text if len(text) <= limit else text[:limit] + "…"
    return out


def _run_and_grade(submission: Submission, args: list, expected: list, kinds: list[str]):
    from sandbox import Limits

    from .judge import grade, run_submission
    from .judge.checkers import checker_from_source

    exercise = submission.exercise
    limits = Limits(cpu_s=exercise.time_s, wall_s=exercise.time_s * 3 + 5, memory_mb=exercise.memory_mb)
    complexity = exercise.complexity if submission.mode == Submission.Mode.SUBMIT else None
    report = run_submission(
        submission.source, entry=exercise.entry, tests=args, limits=limits, numpy_args=exercise.numpy_args,
        complexity=complexity, complexity_args=exercise.complexity_args if complexity else None,
        python=settings.JUDGE_PYTHON, allow_unsandboxed=settings.JUDGE_UNSAFE_NO_SANDBOX,
    )
    custom = checker_from_source(exercise.checker_source) if exercise.checker == "custom" else None
    return report, grade(report, expected=expected, checker=exercise.checker, tolerance=exercise.tolerance,
                         custom_check=custom, kinds=kinds)


def _public_result(index: int, test, kind: str) -> dict:
    """What the learner sees of one test: everything for examples, only verdict and cost for hidden ones."""
    data = asdict(test)
    if kind == "hidden":
        data = {k: data[k] for k in ("verdict", "time_ms", "memory_kb")}
    return {**data, "index": index + 1, "kind": kind}


class _JudgeHeartbeat:
    """While a submission is judged, a thread marks `heartbeat_at` every JUDGE_HEARTBEAT_S, so the reaper
    can tell a slow judgement from a killed worker in seconds rather than minutes."""

    def __init__(self, submission_id: int, attempt: int):
        self.submission_id, self.attempt = submission_id, attempt
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"judge-heartbeat-{submission_id}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=5)

    def _beat(self) -> None:
        from django.db import connection

        try:
            while not self.stop.wait(settings.JUDGE_HEARTBEAT_S):
                Submission.objects.filter(id=self.submission_id, status=Submission.Status.RUNNING,
                                          attempt=self.attempt).update(heartbeat_at=timezone.now())
        except Exception as exc:  # a heartbeat that cannot be written must not break the judgement
            log.warning("submission %s: heartbeat failed: %s", self.submission_id, exc)
        finally:
            connection.close()


def submissions_reap_stale() -> dict:
    """Nothing stays unfinished: a running submission whose worker stopped heartbeating is judged again
    once (the attempt guard keeps a late first verdict from being written twice), then ends IE; a queued
    one whose message was lost is sent again, then ends IE with a message."""
    now = timezone.now()
    silent_since = now - timedelta(seconds=settings.JUDGE_STALE_AFTER_S)
    # Rows from before the heartbeat existed count from their start, as the heartbeat would.
    stale = Submission.objects.filter(Q(heartbeat_at__lt=silent_since)
                                      | Q(heartbeat_at__isnull=True, started_at__lt=silent_since),
                                      status=Submission.Status.RUNNING)
    retried = failed = resent = lost = 0
    for sub in stale.only("id", "attempt"):
        running = Submission.objects.filter(id=sub.id, status=Submission.Status.RUNNING, attempt=sub.attempt)
        if sub.attempt < settings.JUDGE_MAX_ATTEMPTS:
            if running.update(status=Submission.Status.QUEUED, enqueued_at=now, deliveries=F("deliveries") + 1):
                retried += _enqueue(sub.id)
        else:
            failed += running.update(status=Submission.Status.DONE, verdict="IE", message=WORKER_LOST,
                                     finished_at=now)
    sent_before = now - timedelta(seconds=settings.JUDGE_REQUEUE_AFTER_S)
    waiting = Submission.objects.filter(Q(enqueued_at__lt=sent_before)
                                        | Q(enqueued_at__isnull=True, created_at__lt=sent_before),
                                        status=Submission.Status.QUEUED)
    for sub in waiting.only("id", "deliveries", "enqueued_at"):
        queued = Submission.objects.filter(id=sub.id, status=Submission.Status.QUEUED, deliveries=sub.deliveries)
        if sub.deliveries < settings.JUDGE_MAX_DELIVERIES:
            if queued.update(enqueued_at=now, deliveries=F("deliveries") + 1):
                resent += _enqueue(sub.id)
        else:
            lost += queued.update(status=Submission.Status.DONE, verdict="IE", message=LOST_IN_QUEUE,
                                  finished_at=now)
    return {"submissions_retried": retried, "submissions_failed": failed, "submissions_resent": resent,
            "submissions_lost": lost}
