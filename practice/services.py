"""Practice writes: creating submissions, judging them idempotently, reaping stale work."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .models import Exercise, Submission

UNFINISHED = (Submission.Status.QUEUED, Submission.Status.RUNNING)
# A submission still running this long after it started lost its worker: it ends IE instead of hanging.
JUDGE_STALE_AFTER = dt.timedelta(seconds=300)


class SubmissionRefused(Exception):
    """The submission was not accepted; the message is shown to the learner."""


def submission_create(*, user, exercise: Exercise, source: str = "", mode: str = Submission.Mode.SUBMIT,
                      answer: str = "") -> Submission:
    if exercise.kind == Exercise.Kind.NUMERIC:
        return _numeric_submit(user=user, exercise=exercise, answer=answer)
    if not source.strip():
        raise SubmissionRefused(_("代码为空。"))
    if len(source.encode("utf-8")) > settings.JUDGE_MAX_SOURCE_BYTES:
        raise SubmissionRefused(_("代码超过 64 KiB 上限。"))
    with transaction.atomic():
        # Lock the user's row so two parallel requests cannot both slip under the limit.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        unfinished = Submission.objects.filter(user=user, status__in=UNFINISHED).count()
        if unfinished >= settings.JUDGE_MAX_UNFINISHED:
            raise SubmissionRefused(
                _("你已有 %(n)d 个提交在排队或运行，请等它们判完再提交。") % {"n": unfinished})
        submission = Submission.objects.create(user=user, exercise=exercise, source=source, mode=mode)
        transaction.on_commit(lambda: _enqueue(submission.id))
    return submission


def _enqueue(submission_id: int) -> None:
    from .tasks import grade_submission

    grade_submission.delay(submission_id)


def _numeric_submit(*, user, exercise: Exercise, answer: str) -> Submission:
    try:
        value = float(answer.strip().replace(",", ""))
    except ValueError:
        raise SubmissionRefused(_("请输入一个数字。")) from None
    tol = exercise.tolerance or {}
    ok = math.isfinite(value) and math.isclose(value, exercise.answer, rel_tol=tol.get("rel", 1e-9),
                                               abs_tol=tol.get("abs", 0.0))
    now = timezone.now()
    return Submission.objects.create(
        user=user, exercise=exercise, source=answer.strip()[:200], mode=Submission.Mode.SUBMIT,
        status=Submission.Status.DONE, verdict="AC" if ok else "WA", score=1.0 if ok else 0.0,
        passed=int(ok), total=1, started_at=now, finished_at=now,
        message="" if ok else gettext_noop("与参考答案相差超过允许误差。"),
    )


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
    if not claimed.update(status=Submission.Status.RUNNING, started_at=now, attempt=F("attempt") + 1):
        return None  # already judged (a re-delivered task): never grade twice
    submission = Submission.objects.select_related("exercise").get(id=submission_id)
    attempt = submission.attempt
    args, expected, kinds = _tests_for(submission)
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


def submissions_reap_stale() -> int:
    """Submissions whose worker vanished mid-run end IE, so nothing stays 'running' forever."""
    cutoff = timezone.now() - JUDGE_STALE_AFTER
    return Submission.objects.filter(status=Submission.Status.RUNNING, started_at__lt=cutoff).update(
        status=Submission.Status.DONE, verdict="IE", finished_at=timezone.now(),
        message=gettext_noop("判题进程中断，请重新提交。"),
    )


def runner_local_token() -> str:
    """The token of the local CPU runner that `make run` starts, kept in var/ (mode 0600) across restarts."""
    from .models import Runner, hash_token

    path = settings.VAR_DIR / "local-runner-token"
    if path.exists():
        token = path.read_text().strip()
        if Runner.objects.filter(token_hash=hash_token(token), revoked_at__isnull=True).exists():
            return token
    owner = get_user_model().objects.filter(is_superuser=True).order_by("id").first()
    _runner, token = Runner.create_with_token(owner=owner, name="local-cpu")
    path.write_text(token)
    path.chmod(0o600)
    return token
