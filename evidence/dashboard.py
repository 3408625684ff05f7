"""The dashboard: plan progress beside the skills it evidences, the activity heatmap, measured lab results,
next steps and interview readiness, as plain context for evidence/dashboard.html and the templates it includes.

What only writes change (plan progress, skill evidence, activity, lab results) is computed once per
(content version, user version, day) in each process and kept in the "local" cache; every write to what it
shows bumps the user's version (core.versions), so a status change, a verdict, a finished job or a review is
on the next dashboard.
What the clock changes (cards falling due, recall decaying by the day) is kept until the first moment it can
move. A miss runs nine queries whatever the history (every list is an aggregate, a slice, or bounded by the
content's size); a hit runs none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import caches
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.versions import current_versions
from knowledge.models import ReviewLog
from knowledge.reviews import ReviewSummary, review_summary
from labs import evidence as lab_evidence
from labs import registry
from labs.models import LabJob
from practice.models import DIFFICULTY_WEIGHTS, Exercise, Submission
from tracker.models import StatusChange
from tracker.services import plan_overview

from . import bounds
from .skills import SkillLevel, skill_levels, weakest

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
    per_source = [model.objects.filter(user=user, **{f"{field}__gte": since}).annotate(day=TruncDate(field))
                  .values("day").annotate(n=Count("id")).order_by()
                  for model, field in ((StatusChange, "at"), (Submission, "created_at"), (ReviewLog, "reviewed_at"))]
    counts: dict[dt.date, int] = {}
    for row in per_source[0].union(*per_source[1:], all=True):  # one query
        counts[row["day"]] = counts.get(row["day"], 0) + row["n"]
    return [Day(d, counts.get(d, 0)) for d in (start + dt.timedelta(days=i) for i in range((today - start).days + 1))]


def heatmap_html(days: list[Day]) -> SafeString:
    """The 371 cells joined in Python: a template loop with |date per cell costs tens of milliseconds."""
    cells = "".join(f'<span class="l{d.level}" title="{d.date.isoformat()}: {d.count}"></span>' for d in days)
    return mark_safe(cells)


def lab_results(user, succeeded=None) -> tuple[list[LabJob], set[str]]:
    """The job that represents each lab the user measured (their choice, else the best valid job:
    labs/evidence.py), each marked `evidence_chosen`, and those labs; two queries (one given the succeeded jobs)."""
    jobs = []
    for rep in lab_evidence.representatives(user, succeeded=succeeded).values():
        rep.job.evidence_chosen = rep.chosen
        jobs.append(rep.job)
    return jobs, {job.lab for job in jobs}


def best_bound_shares(user, *, jobs: int = 40, succeeded=None) -> list[dict]:
    """Per lab the planner bounds (evidence.bounds), the learner's best share of its bound over their latest
    `jobs` succeeded jobs of those labs (one query, none given the succeeded jobs newest first): lab, share and its
    job. Numbers only: the dashboard's cache is shared by both languages."""
    if succeeded is None:
        succeeded = (LabJob.objects.filter(user=user, status=LabJob.Status.SUCCEEDED, lab__in=bounds.LABS)
                     .only("id", "lab", "result", "system_info", "params").order_by("-created_at", "-id"))
    rows = [job for job in succeeded if job.lab in bounds.LABS][:jobs]
    best: dict[str, dict] = {}
    for job in rows:
        found = bounds.job_bound(job.lab, job.result, job.system_info, job.params)
        row = found.best if found else None
        if row is not None and (job.lab not in best or row.share > best[job.lab]["share"]):
            best[job.lab] = {"lab": job.lab, "share": row.share, "share_pct": row.share_pct,
                             "job": job.pk, "above": row.share > 1.0}
    return [best[lab] for lab in bounds.LABS if lab in best]


def suggested_exercise(levels: list[SkillLevel]) -> tuple[SkillLevel | None, Exercise | None]:
    """The easiest unsolved exercise of the weakest skill that has one."""
    weak = weakest(levels, with_unsolved=True)
    if weak is None:
        return None, None
    return weak, min(weak.unsolved, key=lambda e: (DIFFICULTY_WEIGHTS.get(e.difficulty, 1), e.order, e.slug))


def record_figures(user, *, today: dt.date) -> dict:
    """What only writes change: skill evidence, activity, lab results, the suggested exercise."""
    succeeded = list(lab_evidence.succeeded_jobs(user))  # one query for the representatives and the bounds
    recent, measured = lab_results(user, succeeded)
    levels = skill_levels(user, labs=measured)
    weak, exercise = suggested_exercise(levels)
    return {"levels": levels, "days": activity_days(user, today=today), "labs": recent,
            "weakest": weak, "exercise": exercise, "bound_shares": best_bound_shares(user, succeeded=succeeded)}


def add_clock_figures(data: dict, reviews: ReviewSummary) -> dict:
    """What the clock changes: readiness per skill and the review queue."""
    for lvl in data["levels"]:
        lvl.readiness = reviews.readiness.get(lvl.skill.id, 0)
    return {**data, "queue": {"due": reviews.due, "new": reviews.new}}


def figures(user, *, now: dt.datetime | None = None) -> dict:
    """Everything the panels show, as plain data (compared across export and import); never cached."""
    now = now or timezone.now()
    return add_clock_figures(record_figures(user, today=timezone.localdate(now)), review_summary(user, now=now))


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


def _data(user, *, now: dt.datetime) -> dict:
    """The dashboard's figures, from this process's cache while no version moved, the day is the same and the
    clock has changed nothing (ReviewSummary.until)."""
    local = caches["local"]
    key = f"dashboard:{user.id}"
    stamp = (*current_versions(user.id), timezone.localdate(now))
    entry = local.get(key)
    if entry is None or entry["stamp"] != stamp:
        today = stamp[2]
        written = {"plan": plan_overview(user, today=today),
                   "recent": list(StatusChange.objects.filter(user=user).select_related("task")
                                  .only("at", "old", "new", "task__slug", "task__title", "task__title_en")[:10]),
                   **record_figures(user, today=today)}
        entry = {"stamp": stamp, "data": written, "until": now}
    if now >= entry["until"]:
        reviews = review_summary(user, now=now)
        entry.update(data=add_clock_figures(entry["data"], reviews), until=reviews.until)
        local.set(key, entry)
    return entry["data"]


def dashboard_context(user) -> dict:
    """The dashboard's template context."""
    data = dict(_data(user, now=timezone.now()))
    plan, levels, days = data.pop("plan"), data["levels"], data["days"]
    chart = {"labels": [lvl.skill.display_title for lvl in levels], "evidence": [lvl.pct for lvl in levels],
             "readiness": [lvl.readiness for lvl in levels]}
    return {**data, "progress": plan.progress, "doing": plan.doing, "next_tasks": plan.next_tasks, "chart": chart,
            "heatmap": heatmap_html(days), "active_days": sum(1 for d in days if d.count),
            "activity_total": sum(d.count for d in days)}
