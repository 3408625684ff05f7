"""Writes and read-models of the tracker: status changes, progress per phase, schedule status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import COMPLETE_STATUSES, Phase, Profile, Status, StatusChange, Task, TaskProgress

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
    profile = Profile.objects.filter(user=user).only("start_date").first()
    return profile.start_date if profile else None


def plan_progress(user, *, today: dt.date | None = None) -> PlanProgress:
    """Per-phase counts in one aggregate query, plus schedule status against the user's start date."""
    today = today or timezone.localdate()
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
    start = start_date_for(user)
    result = PlanProgress(start_date=start)
    expected_total = 0.0
    for phase in phases:
        pp = PhaseProgress(phase=phase, total=phase.n_total, done=phase.n_done, skipped=phase.n_skip,
                           doing=phase.n_doing)
        if start:
            pp.window = phase.window(start)
            pp.expected_pct = expected_pct(pp.window, today)
            pp.schedule = schedule_status(pp.pct, pp.expected_pct, started=today >= pp.window[0])
            expected_total += pp.expected_pct * pp.total / 100
        result.phases.append(pp)
    if start and result.total:
        overall_expected = round(100 * expected_total / result.total)
        result.schedule = schedule_status(result.pct, overall_expected, started=today >= start)
    return result


def next_expected_tasks(user, *, limit: int = 5, today: dt.date | None = None) -> list[Task]:
    """Unfinished tasks of the phases whose planned window has begun (all phases without a start date)."""
    today = today or timezone.localdate()
    start = start_date_for(user)
    tasks = Task.objects.live().select_related("phase", "section").exclude(
        progress__user=user, progress__status__in=COMPLETE_STATUSES
    )
    if start:
        started_weeks = max(0, (today - start).days // 7)
        tasks = tasks.filter(phase__start_week__lte=started_weeks)
    # Tasks already in progress come first: finishing beats starting.
    doing = set(
        TaskProgress.objects.filter(user=user, status=Status.DOING).values_list("task_id", flat=True)
    )
    ordered = sorted(tasks[: limit + len(doing)], key=lambda t: (t.id not in doing,))
    return ordered[:limit]
