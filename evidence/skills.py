"""Skill levels from evidence: tasks done, exercises solved (weighted by difficulty) and labs measured.

Each read-model here runs a fixed number of queries however much history the user has: aggregates and
DISTINCT in the database, never one query per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, Subquery

from labs import evidence as lab_evidence
from labs import registry
from practice.models import DIFFICULTY_WEIGHTS, Exercise, Submission
from tracker.models import Skill, Status, TaskProgress

TASK_POINTS = 1
LAB_POINTS = 3  # a measured lab run is strong evidence: it needs a working deployment


@dataclass
class SkillLevel:
    skill: Skill
    tasks_done: int = 0
    tasks_total: int = 0
    exercise_points: int = 0
    exercise_points_total: int = 0
    exercises_solved: int = 0
    exercises_total: int = 0
    labs_done: list[str] = field(default_factory=list)
    labs_total: int = 0
    readiness: int | None = None  # percent; set by the review read-model
    unsolved: list[Exercise] = field(default_factory=list, repr=False)  # live exercises not yet solved

    @property
    def earned(self) -> int:
        return self.tasks_done * TASK_POINTS + self.exercise_points + LAB_POINTS * len(self.labs_done)

    @property
    def possible(self) -> int:
        return self.tasks_total * TASK_POINTS + self.exercise_points_total + LAB_POINTS * self.labs_total

    @property
    def pct(self) -> int:
        return min(100, round(100 * self.earned / self.possible)) if self.possible else 0

    @property
    def level(self) -> int:
        """0-5 stars: a fifth of the available evidence per star."""
        return min(5, self.pct // 20)


def succeeded_labs(user) -> set[str]:
    """The labs with a job that represents them (labs/evidence.py): a run that measured nothing, or only noisy
    runs the learner did not choose, is no evidence."""
    return set(lab_evidence.representatives(user))



def _skills_with_tasks(user):
    """One row per (live skill, live task) pair, a skill without tasks once, each with the user's status."""
    status = TaskProgress.objects.filter(user=user, task_id=OuterRef("live_task__id")).values("status")[:1]
    return (Skill.objects.live().annotate(live_task=FilteredRelation("tasks", condition=Q(tasks__archived=False)))
            .annotate(task_pk=F("live_task__id"), task_status=Subquery(status)))


def skill_levels(user, *, labs: set[str] | None = None) -> list[SkillLevel]:
    """One SkillLevel per live skill, in taxonomy order (two queries: skills with their tasks and the user's
    status of each, exercise links with whether the user solved each; a third for the labs the user measured
    unless `labs` names them)."""
    levels: dict[int, SkillLevel] = {}
    for row in _skills_with_tasks(user):
        lvl = levels.setdefault(row.id, SkillLevel(skill=row))
        if row.task_pk is not None:
            lvl.tasks_total += 1
            lvl.tasks_done += row.task_status == Status.DONE
    solved = Exists(Submission.objects.solved().filter(user=user, exercise_id=OuterRef("exercise_id")))
    # Only what a suggestion needs of an exercise (its statement and tests stay in the database).
    links = (Exercise.skills.through.objects.filter(exercise__archived=False).select_related("exercise")
             .only("skill_id", "exercise__slug", "exercise__title", "exercise__title_en", "exercise__difficulty",
                   "exercise__order").annotate(solved=solved))
    for link in links:
        lvl = levels.get(link.skill_id)
        if lvl is None:
            continue
        weight = DIFFICULTY_WEIGHTS.get(link.exercise.difficulty, 1)
        lvl.exercise_points_total += weight
        lvl.exercises_total += 1
        if link.solved:
            lvl.exercise_points += weight
            lvl.exercises_solved += 1
        else:
            lvl.unsolved.append(link.exercise)
    labs = succeeded_labs(user) if labs is None else labs
    by_slug = {lvl.skill.slug: lvl for lvl in levels.values()}
    for lab in registry.LABS.values():
        for slug in lab.skills:
            if slug in by_slug:
                by_slug[slug].labs_total += 1
                if lab.slug in labs:
                    by_slug[slug].labs_done.append(lab.slug)
    return list(levels.values())


def weakest(levels: list[SkillLevel], *, with_unsolved: bool = False) -> SkillLevel | None:
    """The skill with the least evidence among those that have any to earn (and an unsolved exercise)."""
    candidates = [lvl for lvl in levels if lvl.possible
                  and (not with_unsolved or lvl.exercises_solved < lvl.exercises_total)]
    return min(candidates, key=lambda lvl: (lvl.pct, lvl.skill.order)) if candidates else None
