"""The public portfolio's read-model: what a learner chose to show at /p/<token>/ in place of a degree —
measured lab results with the machine they ran on, exercises solved by skill, and plan progress.

Everything here is an allow-list: a job's result goes through the lab's registry summary (headline figures and
the evidence line only), its system info keeps only the hardware and library keys, and no note, source, job
parameter, log, error, runner name or token, hostname or e-mail address is ever read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery

from labs import registry
from labs.models import LabJob
from practice.models import Exercise, Submission
from tracker import services as plan
from tracker.models import Profile, Skill

from .skills import SkillLevel, skill_levels

# The runner system-info keys a visitor may see (labcontract.CAPABILITIES minus hostname, queue and queues).
PUBLIC_SYSTEM_KEYS = ("cpu", "ram_bytes", "cuda_devices", "versions")


def owner_of(token: str) -> Profile | None:
    """The published profile with this token, or None (never published, revoked, a guess, or an account that
    was deactivated)."""
    if not token:
        return None
    return Profile.objects.select_related("user").filter(portfolio_token=token, user__is_active=True).first()


def public_system_info(info: dict | None) -> dict:
    return {key: info[key] for key in PUBLIC_SYSTEM_KEYS if isinstance(info, dict) and key in info}


@dataclass
class LabEvidence:
    slug: str
    job: LabJob
    runs: int
    system_info: dict = field(default_factory=dict)


def latest_lab_results(user) -> list[LabEvidence]:
    """The latest succeeded job of each lab (registry order), with how many succeeded runs it has. Two queries;
    the job's params, log, error and runner are not loaded."""
    succeeded = LabJob.objects.filter(user=user, status=LabJob.Status.SUCCEEDED)
    latest = succeeded.filter(lab=OuterRef("lab")).order_by("-created_at", "-id").values("id")[:1]
    jobs = {job.lab: job for job in succeeded.filter(id=Subquery(latest))
            .only("id", "lab", "result", "system_info", "created_at", "finished_at")}
    runs: dict[str, int] = {}
    for lab in succeeded.order_by().values_list("lab", flat=True):
        runs[lab] = runs.get(lab, 0) + 1
    order = [slug for slug in registry.LABS if slug in jobs] + sorted(set(jobs) - set(registry.LABS))
    return [LabEvidence(slug=slug, job=jobs[slug], runs=runs[slug],
                        system_info=public_system_info(jobs[slug].system_info)) for slug in order]


@dataclass
class SkillExercises:
    skill: Skill
    exercises: list[Exercise]


def solved_by_skill(exercises: list[Exercise]) -> list[SkillExercises]:
    """Solved exercises grouped under each live skill they evidence, in taxonomy order."""
    by_skill: dict[int, SkillExercises] = {}
    for exercise in exercises:
        for skill in exercise.skills.all():
            if not skill.archived:
                by_skill.setdefault(skill.id, SkillExercises(skill, [])).exercises.append(exercise)
    return sorted(by_skill.values(), key=lambda group: group.skill.order)


@dataclass
class Portfolio:
    username: str
    published_at: dt.datetime | None
    progress: plan.PlanProgress
    levels: list[SkillLevel]
    labs: list[LabEvidence]
    solved: list[SkillExercises]
    solved_count: int


def portfolio(profile: Profile) -> Portfolio:
    """Everything the public page shows, in a fixed number of queries (about 14) whatever the history."""
    user = profile.user
    solved = Submission.objects.filter(user=user, mode=Submission.Mode.SUBMIT, verdict="AC").values("exercise_id")
    exercises = list(Exercise.objects.live().filter(pk__in=solved).prefetch_related("skills")
                     .order_by("difficulty", "order", "slug"))
    return Portfolio(username=user.get_username(), published_at=profile.portfolio_published_at,
                     progress=plan.plan_progress(user), levels=skill_levels(user),
                     labs=latest_lab_results(user), solved=solved_by_skill(exercises), solved_count=len(exercises))
