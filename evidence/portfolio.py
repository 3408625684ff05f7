"""The public portfolio's read-model: what a learner chose to show at /p/<token>/ in place of a degree —
measured lab results with the machine they ran on, exercises solved by skill, and plan progress.

Everything here is an allow-list: a job's result goes through the lab's registry summary (headline figures and
the evidence line only), its system info keeps only the hardware and library keys, and no note, source, job
parameter, log, error, runner name or token, hostname or e-mail address is ever read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from labs import evidence as lab_evidence
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
    chosen: bool = False  # the learner chose this job (else: the best valid one, labs/evidence.py)


def latest_lab_results(user) -> list[LabEvidence]:
    """The job that represents each lab (registry order): the learner's choice, else the best valid job
    (labs/evidence.py), with how many runs that measured something the lab has. Two queries; only the chosen
    job's headline, evidence line and public system info reach the page."""
    return [LabEvidence(slug=slug, job=rep.job, runs=rep.runs, system_info=public_system_info(rep.job.system_info),
                        chosen=rep.chosen) for slug, rep in lab_evidence.representatives(user).items()]


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
    solved = Submission.objects.solved().filter(user=user).values("exercise_id")
    exercises = list(Exercise.objects.live().filter(pk__in=solved).prefetch_related("skills")
                     .order_by("difficulty", "order", "slug"))
    labs = latest_lab_results(user)
    return Portfolio(username=user.get_username(), published_at=profile.portfolio_published_at,
                     progress=plan.plan_progress(user), levels=skill_levels(user, labs={e.slug for e in labs}),
                     labs=labs, solved=solved_by_skill(exercises), solved_count=len(exercises))
