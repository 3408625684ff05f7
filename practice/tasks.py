"""Celery tasks of the site: thin wrappers that load by id and call a service. Each is idempotent."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="judge.grade_submission", acks_late=True, reject_on_worker_lost=True)
def grade_submission(submission_id: int) -> str:
    submission = services.submission_judge(submission_id)
    return submission.verdict if submission else "skipped"


@shared_task(name="practice.reap_stale_submissions")
def reap_stale_submissions() -> dict:
    return services.submissions_reap_stale()
