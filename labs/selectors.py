"""Reads of the labs domain (writes are in services.py): a learner's jobs and runners as the pages want them."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from .models import LabJob, Runner

HISTORY_JOBS = 30  # the job page's chart: the user's latest succeeded jobs of the lab


def recent_jobs(user, limit: int = 50):
    return LabJob.objects.filter(user=user).select_related("runner")[:limit]


def runners_of(user):
    return Runner.objects.filter(owner=user)


def usable_queues(user) -> set[str]:
    """The queues the learner's own live runners serve (the form leaves vllm unticked without lab.vllm)."""
    return {q for r in Runner.objects.filter(owner=user, revoked_at=None) for q in r.queues}


def job_of(user, pk: int) -> LabJob:
    """The learner's job with its runner, or 404 (another user's job is as missing as no job)."""
    return get_object_or_404(LabJob.objects.select_related("runner"), pk=pk, user=user)


def succeeded_of_lab(user, lab: str):
    return LabJob.objects.filter(user=user, lab=lab, status=LabJob.Status.SUCCEEDED)


def history(user, lab: str, limit: int = HISTORY_JOBS) -> list[LabJob]:
    """The learner's latest succeeded jobs of a lab, oldest first (the history chart's points)."""
    recent = succeeded_of_lab(user, lab).only("id", "lab", "result", "created_at").order_by("-created_at", "-id")
    return list(reversed(list(recent[:limit])))
