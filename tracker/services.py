"""Writes and read-models of the tracker: status changes, progress per phase, schedule status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, F, FilteredRelation, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.versions import bump_user_version

from .models import COMPLETE_STATUSES, Phase, Profile, Status, StatusChange, Task, TaskProgress, start_date_error

# Within this many percentage points of the expected progress a phase is "on track".
ON_TRACK_MARGIN = 10


def task_set_status(*, user, task: Task, status: str) -> TaskProgress:
    """Change a task's status for a user, recording the change in their history."""
    if status not in Status.values:
        raise ValueError(f"unknown status {status!r}")
    with transaction.atomic():
        progress, _created = TaskProgress.objects.select_for_update().get_or_create(user=user, task=task)
        if progress.status == status:
            return progress
        StatusChange.objects.create(user=user, task=task, old=progress.status, new=status)
        progress.status = status
        progress.updated_at = timezone.now()
        progress.completed_at = timezone.now() if status in COMPLETE_STATUSES else None
        progress.save()
        bump_user_version(user.id)
    return progress


def task_set_notes(*, user, task: Task, notes: str) -> TaskProgress:
    progress, _created = TaskProgress.objects.get_or_create(user=user, task=task)
    progress.notes = notes
    progress.updated_at = timezone.now()
    progress.save(update_fields=["notes", "updated_at"])
    return progress


@dataclass
class PhaseProgress:
    phase: Phase
    total: int = 0
    done: int = 0
    skipped: int = 0
    doing: int = 0
    window: tuple[dt.date, dt.date] | None = None
    expected_pct: int | None = None
    schedule: str = ""  # ahead | on-track | behind | not-started | "" (no start date)

    @property
    def complete(self) -> int:
        return self.done + self.skipped

    @property
    def pct(self) -> int:
        return round(100 * self.complete / self.total) if self.total else 0

    @property
    def doing_pct(self) -> int:
        return round(100 * self.doing / self.total) if self.total else 0


@dataclass
class PlanProgress:
    phases: list[PhaseProgress] = field(default_factory=list)
    start_date: dt.date | None = None
    schedule: str = ""

    @property
    def total(self) -> int:
        return sum(p.total for p in self.phases)

    @property
    def complete(self) -> int:
        return sum(p.complete for p in self.phases)

    @property
    def doing(self) -> int:
        return sum(p.doing for p in self.phases)

    @property
    def pct(self) -> int:
        return round(100 * self.complete / self.total) if self.total else 0

    @property
    def doing_pct(self) -> int:
        return round(100 * self.doing / self.total) if self.total else 0


SCHEDULE_LABELS = {
    "ahead": _("超前"),
    "on-track": _("按计划"),
    "behind": _("落后"),
    "not-started": _("未开始"),
}


def expected_pct(window: tuple[dt.date, dt.date], today: dt.date) -> int:
    begin, end = window
    if today <= begin:
        return 0
    if today >= end:
        return 100
    return round(100 * (today - begin).days / (end - begin).days)


def schedule_status(actual_pct: int, expected: int, *, started: bool) -> str:
    if not started and actual_pct == 0:
        return "not-started"
    if actual_pct > expected + ON_TRACK_MARGIN:
        return "ahead"
    if actual_pct < expected - ON_TRACK_MARGIN:
        return "behind"
    return "on-track"


def start_date_for(user) -> dt.date | None:
    """The user's start date when the schedule can compute from it; a row stored before the form checked
    (year 9999) counts as no date, so the pages render and the plan page's form can put it right."""
    profile = Profile.objects.filter(user=user).only("start_date").first()
    start = profile.start_date if profile else None
    return None if start_date_error(start) else start


def plan_progress(user, *, today: dt.date | None = None) -> PlanProgress:
    return _plan_progress(user, today=today or timezone.localdate(), start=start_date_for(user))


def _plan_progress(user, *, today: dt.date, start: dt.date | None) -> PlanProgress:
    """Per-phase counts in one aggregate query, plus schedule status against the user's start date."""
    mine = Q(tasks__archived=False)
    phases = (
        Phase.objects.live()
        .annotate(
            n_total=Count("tasks", filter=mine, distinct=True),
            n_done=Count("tasks__progress", filter=mine & Q(tasks__progress__user=user,
                                                            tasks__progress__status=Status.DONE)),
            n_skip=Count("tasks__progress", filter=mine & Q(tasks__progress__user=user,
                                                            tasks__progress__status=Status.SKIP)),
            n_doing=Count("tasks__progress", filter=mine & Q(tasks__progress__user=user,
                                                             tasks__progress__status=Status.DOING)),
        )
        .order_by("order")
    )
    result = PlanProgress(start_date=start)
    expected_total = 0.0
    for phase in phases:
        pp = PhaseProgress(phase=phase, total=phase.n_total, done=phase.n_done, skipped=phase.n_skip,
                           doing=phase.n_doing)
        pp.window = phase.window(start) if start else None
        if pp.window:
            pp.expected_pct = expected_pct(pp.window, today)
            pp.schedule = schedule_status(pp.pct, pp.expected_pct, started=today >= pp.window[0])
            expected_total += pp.expected_pct * pp.total / 100
        result.phases.append(pp)
    if start and result.total:
        overall_expected = round(100 * expected_total / result.total)
        result.schedule = schedule_status(result.pct, overall_expected, started=today >= start)
    return result


@dataclass
class PlanOverview:
    progress: PlanProgress
    doing: list[Task]
    next_tasks: list[Task]


def plan_overview(user, *, limit: int = 5, today: dt.date | None = None) -> PlanOverview:
    """Progress per phase, the tasks in progress, and the next expected tasks: unfinished tasks of the phases
    whose planned window has begun (all phases without a start date), those in progress first. Three queries
    whatever the history: the open tasks are read once, bounded by the plan's size."""
    today = today or timezone.localdate()
    start = start_date_for(user)
    started_weeks = max(0, (today - start).days // 7) if start else None
    # Only what the dashboard shows of a task: the rows are kept in its cache.
    tasks = (Task.objects.live().select_related("phase")
             .only("slug", "title", "title_en", "phase__slug", "phase__title", "phase__title_en", "phase__start_week")
             .annotate(mine=FilteredRelation("progress", condition=Q(progress__user=user)))
             .annotate(my_status=F("mine__status")))
    open_tasks = [t for t in tasks if t.my_status not in COMPLETE_STATUSES]
    doing = [t for t in open_tasks if t.my_status == Status.DOING]
    expected = [t for t in open_tasks if started_weeks is None or t.phase.start_week <= started_weeks]
    # Tasks already in progress come first: finishing beats starting (sorted() keeps plan order otherwise).
    next_tasks = sorted(expected, key=lambda t: t.my_status != Status.DOING)[:limit]
    return PlanOverview(progress=_plan_progress(user, today=today, start=start), doing=doing, next_tasks=next_tasks)
