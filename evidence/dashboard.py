"""The dashboard's evidence panels: skills chart, activity heatmap, measured lab results, next steps and
interview readiness, as plain context for templates the dashboard includes.

The query count is fixed (about 17) whatever the user's history: every list is an aggregate or a slice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from knowledge.models import ReviewLog
from knowledge.reviews import queue_counts, readiness_by_skill
from labs import registry
from labs.models import LabJob
from practice.models import Exercise, Submission
from tracker.models import StatusChange

from .skills import SkillLevel, skill_levels, solved_exercise_ids, succeeded_labs, weakest

HEATMAP_WEEKS = 53


@dataclass
class Day:
    date: dt.date
    count: int

    @property
    def level(self) -> int:
        """0-4 shading buckets, like GitHub's contribution graph."""
        if self.count == 0:
            return 0
        return 1 if self.count < 3 else 2 if self.count < 6 else 3 if self.count < 10 else 4


def activity_days(user, *, today: dt.date | None = None) -> list[Day]:
    """One Day per date of the last 53 weeks (Monday first), counting status changes, submissions and reviews."""
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=today.weekday() + 7 * (HEATMAP_WEEKS - 1))
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    counts: dict[dt.date, int] = {}
    for model, field in ((StatusChange, "at"), (Submission, "created_at"), (ReviewLog, "reviewed_at")):
        rows = (model.objects.filter(user=user, **{f"{field}__gte": since}).annotate(day=TruncDate(field))
                .values("day").annotate(n=Count("id")).order_by())
        for row in rows:
            counts[row["day"]] = counts.get(row["day"], 0) + row["n"]
    return [Day(d, counts.get(d, 0)) for d in (start + dt.timedelta(days=i) for i in range((today - start).days + 1))]


def heatmap_html(days: list[Day]) -> SafeString:
    """The 371 cells joined in Python: a template loop with |date per cell costs tens of milliseconds."""
    cells = "".join(f'<span class="l{d.level}" title="{d.date.isoformat()}: {d.count}"></span>' for d in days)
    return mark_safe(cells)


def recent_lab_results(user, *, limit: int = 5) -> list[LabJob]:
    return list(LabJob.objects.filter(user=user, status=LabJob.Status.SUCCEEDED).defer("log_tail", "params")
                .order_by("-created_at", "-id")[:limit])


def suggested_exercise(levels: list[SkillLevel], solved: set[int]) -> tuple[SkillLevel | None, Exercise | None]:
    """An unsolved exercise for the weakest skill (always one query, so the count does not depend on data)."""
    weak = weakest(levels, with_unsolved=True)
    skill_id = weak.skill.id if weak else 0
    exercise = (Exercise.objects.live().filter(skills__id=skill_id).exclude(pk__in=list(solved))
                .order_by("difficulty", "order", "slug").first())
    return weak, exercise


def figures(user, *, now: dt.datetime | None = None) -> dict:
    """Everything the panels show, as plain data (compared across export and import)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    solved = solved_exercise_ids(user)
    labs = succeeded_labs(user)
    levels = skill_levels(user, solved=solved, labs=labs)
    readiness = readiness_by_skill(user, now=now)
    for lvl in levels:
        lvl.readiness = readiness.get(lvl.skill.id, 0)
    days = activity_days(user, today=today)
    weak, exercise = suggested_exercise(levels, solved)
    return {"levels": levels, "days": days, "labs": recent_lab_results(user), "queue": queue_counts(user, now=now),
            "weakest": weak, "exercise": exercise, "solved": solved}


def summary(data: dict) -> dict:
    """The computed numbers only: what an export and re-import must reproduce."""
    return {
        "skills": {lvl.skill.slug: [lvl.pct, lvl.tasks_done, lvl.exercises_solved, sorted(lvl.labs_done),
                                    lvl.readiness] for lvl in data["levels"]},
        "activity": {d.date.isoformat(): d.count for d in data["days"] if d.count},
        "labs": [[job.lab, job.created_at.isoformat(),
                  {name: list(figure) for name, figure in registry.headline(job.lab, job.result).items()}]
                 for job in data["labs"]],
        "queue": data["queue"],
        "exercise": data["exercise"].slug if data["exercise"] else None,
    }


def panels(user) -> dict:
    """The context of the dashboard's evidence panels (evidence/_dashboard_panels.html, _next_steps.html)."""
    data = figures(user)
    days = data["days"]
    chart = {"labels": [lvl.skill.display_title for lvl in data["levels"]],
             "evidence": [lvl.pct for lvl in data["levels"]],
             "readiness": [lvl.readiness for lvl in data["levels"]]}
    return {**data, "chart": chart, "heatmap": heatmap_html(days), "active_days": sum(1 for d in days if d.count),
            "activity_total": sum(d.count for d in days), "knowledge_summary": summary(data)}
