"""The job that represents each lab for a learner (dashboard, skill pages, portfolio): the one they chose on its
job page, else the best valid job by the lab's headline figure.

Valid: succeeded, the lab's result_failure finds nothing wrong (a job stored before that rule, or that measured
nothing, never counts), at least one headline figure, and not flagged noisy (labs/noise.py). The default compares
jobs on one workload: the model of the latest valid job (figures of different models are not comparable); by the
lab's score (Lab.score: the largest headline figure in the first figure's unit unless the lab says otherwise —
finetune: the task score after training), the newest first among equals. Failed and noisy jobs are never chosen by
default; a learner may choose a noisy one explicitly (the page says it is noisy), never a failed one.
"""

from __future__ import annotations

from dataclasses import dataclass

import labcontract
from core.versions import bump_user_version

from . import noise, registry
from .models import EvidenceChoice, LabJob


@dataclass
class Representative:
    lab: str
    job: LabJob
    chosen: bool  # the learner chose it (else the default rule did)
    runs: int  # valid succeeded runs of the lab


def score(lab_slug: str, result: dict | None) -> float | None:
    lab = registry.get(lab_slug)
    if lab is None:
        return None
    if lab.score is not None:
        return lab.score(result or {})
    figures = list(lab.headline(result or {}).values())
    if not figures:
        return None
    unit = figures[0][1]
    return max(value for value, u in figures if u == unit)


def is_valid(job: LabJob) -> bool:
    if job.status != LabJob.Status.SUCCEEDED or not isinstance(job.result, dict):
        return False
    if labcontract.result_failure(job.lab, job.result) if job.lab in labcontract.LABS else False:
        return False
    return score(job.lab, job.result) is not None and not noise.is_noisy(registry.get(job.lab), job.result)


def choosable(job: LabJob) -> bool:
    """A learner may choose any succeeded job that measured something (noisy included: they are told)."""
    return (job.status == LabJob.Status.SUCCEEDED and isinstance(job.result, dict)
            and not (job.lab in labcontract.LABS and labcontract.result_failure(job.lab, job.result)))


def _workload(job: LabJob) -> object:
    return (job.params or {}).get("model")


def default_job(jobs: list[LabJob]) -> LabJob | None:
    """The best valid job among one lab's jobs (newest first in `jobs`) on the latest valid job's workload."""
    valid = [job for job in jobs if is_valid(job)]
    if not valid:
        return None
    workload = _workload(valid[0])
    same = [job for job in valid if _workload(job) == workload]
    return max(same, key=lambda job: (score(job.lab, job.result), job.created_at, job.id))


def succeeded_jobs(user, labs: list[str] | None = None):
    """The user's succeeded jobs, newest first (what representatives() chooses from)."""
    jobs = LabJob.objects.filter(user=user, status=LabJob.Status.SUCCEEDED)
    if labs is not None:
        jobs = jobs.filter(lab__in=labs)
    return jobs.defer("log_tail").order_by("-created_at", "-id")


def representatives(user, labs: list[str] | None = None, *, succeeded=None) -> dict[str, Representative]:
    """Per lab (registry order, then unknown labs), the representative job; two queries (one when the caller
    already holds succeeded_jobs(user), as the dashboard does)."""
    by_lab: dict[str, list[LabJob]] = {}
    for job in succeeded if succeeded is not None else succeeded_jobs(user, labs):
        by_lab.setdefault(job.lab, []).append(job)
    # Every choice of the user's (not lab__in=by_lab: an empty list would skip the query, and the dashboard's
    # query count must not depend on the history).
    choices = dict(EvidenceChoice.objects.filter(user=user).values_list("lab", "job_id"))
    out: dict[str, Representative] = {}
    for slug in [*(s for s in registry.LABS if s in by_lab), *sorted(set(by_lab) - set(registry.LABS))]:
        lab_jobs = by_lab[slug]
        chosen = next((job for job in lab_jobs if job.id == choices.get(slug) and choosable(job)), None)
        job = chosen or default_job(lab_jobs)
        if job is not None:
            out[slug] = Representative(lab=slug, job=job, chosen=chosen is not None,
                                       runs=sum(1 for j in lab_jobs if choosable(j)))
    return out


def choose(user, job: LabJob) -> bool:
    """Make `job` the user's evidence for its lab; False (nothing changed) when it cannot be chosen."""
    if job.user_id != user.id or not choosable(job):
        return False
    EvidenceChoice.objects.update_or_create(user=user, lab=job.lab, defaults={"job": job})
    bump_user_version(user.id)  # the dashboard's cached figures show the new choice
    return True


def unchoose(user, lab: str) -> None:
    if EvidenceChoice.objects.filter(user=user, lab=lab).delete()[0]:
        bump_user_version(user.id)
