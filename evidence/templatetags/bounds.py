"""{% job_bound job as b %}: a lab job read against the capacity planner (evidence.bounds), for the job page."""

from __future__ import annotations

from django import template

from evidence.bounds import JobBound
from evidence.bounds import job_bound as bound_of

register = template.Library()


@register.simple_tag
def job_bound(job) -> JobBound | None:
    return bound_of(job.lab, job.result, job.system_info, job.params)
