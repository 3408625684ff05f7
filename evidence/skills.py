"""Skill levels from evidence: tasks done, exercises solved (weighted by difficulty) and labs measured.

Each read-model here runs a fixed number of queries however much history the user has: aggregates and
DISTINCT in the database, never one query per row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count

from labs import registry
from labs.models import LabJob
from practice.models import DIFFICULTY_WEIGHTS, Exercise, Submission
from tracker.models import Skill, Status, Task

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


def solved_exercise_ids(user) -> set[int]:
    # order_by(): the model's default ordering would otherwise join DISTINCT and return every row.
    return set(Submission.objects.filter(user=user, mode=Submission.Mode.SUBMIT, verdict="AC")
               .order_by().values_list("exercise_id", flat=True).distinct())


def succeeded_labs(user) -> set[str]:
    return set(LabJob.objects.filter(user=user, status=LabJob.Status.SUCCEEDED)
               .order_by().values_list("lab", flat=True).distinct())


def skill_levels(user, *, solved: set[int] | None = None, labs: set[str] | None = None) -> list[SkillLevel]:
    """One SkillLevel per live skill, in taxonomy order (six queries)."""
    skills = list(Skill.objects.live())
    levels = {s.id: SkillLevel(skill=s) for s in skills}
    by_slug = {s.slug: levels[s.id] for s in skills}
    task_links = Task.skills.through.objects.filter(task__archived=False)
    for row in task_links.values("skill_id").annotate(n=Count("task_id")):
        if row["skill_id"] in levels:
            levels[row["skill_id"]].tasks_total = row["n"]
    done = task_links.filter(task__progress__user=user, task__progress__status=Status.DONE)
    for row in done.values("skill_id").annotate(n=Count("task_id")):
        if row["skill_id"] in levels:
            levels[row["skill_id"]].tasks_done = row["n"]
    solved = solved_exercise_ids(user) if solved is None else solved
    ex_links = Exercise.skills.through.objects.filter(exercise__archived=False)
    for skill_id, ex_id, difficulty in ex_links.values_list("skill_id", "exercise_id", "exercise__difficulty"):
        lvl = levels.get(skill_id)
        if lvl is None:
            continue
        weight = DIFFICULTY_WEIGHTS.get(difficulty, 1)
        lvl.exercise_points_total += weight
        lvl.exercises_total += 1
        if ex_id in solved:
            lvl.exercise_points += weight
            lvl.exercises_solved += 1
    labs = succeeded_labs(user) if labs is None else labs
    for lab in registry.LABS.values():
        for slug in lab.skills:
            if slug in by_slug:
                by_slug[slug].labs_total += 1
                if lab.slug in labs:
                    by_slug[slug].labs_done.append(lab.slug)
    return [levels[s.id] for s in skills]


def skill_map(levels: list[SkillLevel]) -> dict[str, SkillLevel]:
    return {lvl.skill.slug: lvl for lvl in levels}


def weakest(levels: list[SkillLevel], *, with_unsolved: bool = False) -> SkillLevel | None:
    """The skill with the least evidence among those that have any to earn (and an unsolved exercise)."""
    candidates = [lvl for lvl in levels if lvl.possible
                  and (not with_unsolved or lvl.exercises_solved < lvl.exercises_total)]
    return min(candidates, key=lambda lvl: (lvl.pct, lvl.skill.order)) if candidates else None


def evidence_counts(levels: list[SkillLevel]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for lvl in levels:
        out[lvl.skill.slug] = {"pct": lvl.pct, "tasks_done": lvl.tasks_done,
                               "exercises_solved": lvl.exercises_solved, "labs": len(lvl.labs_done)}
    return dict(out)
