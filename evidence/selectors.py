"""Reads for the evidence pages (a skill's page gathers four apps: the plan, practice, knowledge and labs)."""

from __future__ import annotations

from knowledge.models import Article
from labs import evidence as lab_evidence
from labs import registry
from practice.models import Exercise, Submission
from tracker.models import Status, Task


def skill_page(user, skill) -> dict:
    """What a skill's page shows beside its level: the tasks done, the exercises solved and some unsolved ones, the
    articles, and the job that represents each lab evidencing the skill (marked `evidence_chosen`)."""
    solved = Exercise.objects.live().filter(
        skills=skill, pk__in=Submission.objects.solved().filter(user=user).values("exercise_id"))
    labs = [lab.slug for lab in registry.labs_evidencing(skill.slug)]
    jobs = []
    for rep in lab_evidence.representatives(user, labs).values():
        rep.job.evidence_chosen = rep.chosen
        jobs.append(rep.job)
    return {
        "tasks_done": Task.objects.live().filter(skills=skill, progress__user=user, progress__status=Status.DONE)
        .select_related("phase"),
        "solved": solved, "jobs": jobs, "labs": labs,
        "articles": Article.objects.live().filter(skills=skill),
        "unsolved": Exercise.objects.live().filter(skills=skill).exclude(pk__in=[e.pk for e in solved])[:5],
    }
