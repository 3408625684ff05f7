"""Celery tasks of the labs app (the site's side; the runners' tasks live in gpu_runner). Idempotent."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="labs.reap_stale_jobs")
def reap_stale_jobs() -> dict:
    return services.jobs_reap_stale()
