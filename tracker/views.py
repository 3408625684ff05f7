"""Tracker pages: landing, sign-up, plan overview, phases, tasks (htmx status), resources."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.versions import bump_user_version

from . import services
from .forms import NotesForm, ScheduleForm
from .models import (
    Phase,
    PlanNote,
    Profile,
    Resource,
    Status,
    StatusChange,
    Task,
    TaskProgress,
    plan_frame,
    start_date_error,
)


def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    phases = Phase.objects.live()
    return render(request, "tracker/landing.html", {"phases": phases})


def signup(request: HttpRequest) -> HttpResponse:
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        messages.success(request, _("欢迎加入部署道场！先设定开始日期，计划会据此排期。"))
        return redirect("plan")
    return render(request, "registration/signup.html", {"form": form})


def plan(request: HttpRequest) -> HttpResponse:
    profile, _created = Profile.objects.get_or_create(user=request.user)
    form = ScheduleForm(instance=profile)
    if start_date_error(profile.start_date):
        # A date stored before the form checked it: shown at the field with the reason, ready to be put right.
        form = ScheduleForm({"start_date": profile.start_date.isoformat()}, instance=profile)
        form.is_valid()
    return render(request, "tracker/plan.html", _plan_context(request, form))


def _plan_context(request: HttpRequest, schedule_form: ScheduleForm) -> dict:
    notes = PlanNote.objects.live()
    return {
        "progress": services.plan_progress(request.user),
        "schedule_form": schedule_form,
        "hardware": [n for n in notes if n.kind == PlanNote.Kind.HARDWARE],
        "solutions": [n for n in notes if n.kind == PlanNote.Kind.SOLUTION],
        "timeline": [n for n in notes if n.kind == PlanNote.Kind.TIMELINE],
        "questions": [n for n in notes if n.kind == PlanNote.Kind.QUESTION],
        "frame": plan_frame(),
    }


@require_POST
def schedule(request: HttpRequest) -> HttpResponse:
    profile, _created = Profile.objects.get_or_create(user=request.user)
    form = ScheduleForm(request.POST, instance=profile)
    if not form.is_valid():
        # Nothing saved; the plan page comes back with the reason at the field.
        profile.refresh_from_db()
        return render(request, "tracker/plan.html", _plan_context(request, form), status=400)
    form.save()
    bump_user_version(request.user.id)  # the dashboard's schedule and next tasks follow the start date
    if form.cleaned_data["start_date"]:
        messages.success(request, _("开始日期已保存。"))
    else:
        messages.success(request, _("开始日期已清除，计划不再按日期排期。"))
    return redirect("plan")


def _progress_map(user, tasks) -> dict[int, TaskProgress]:
    return {p.task_id: p for p in TaskProgress.objects.filter(user=user, task__in=tasks)}


def phase_detail(request: HttpRequest, slug: str) -> HttpResponse:
    phase = get_object_or_404(Phase.objects.live(), slug=slug)
    sections = phase.sections.live().prefetch_related(
        Prefetch("tasks", queryset=Task.objects.live().prefetch_related("resources"))
    )
    tasks = [t for s in sections for t in s.tasks.all()]
    progress = _progress_map(request.user, tasks)
    for task in tasks:
        task.my = progress.get(task.id)
    phase_progress = next(p for p in services.plan_progress(request.user).phases if p.phase.id == phase.id)
    return render(request, "tracker/phase.html",
                  {"phase": phase, "sections": sections, "pp": phase_progress, "statuses": Status.choices})


def task_detail(request: HttpRequest, slug: str) -> HttpResponse:
    task = get_object_or_404(Task.objects.live().select_related("phase", "section"), slug=slug)
    return render(request, "tracker/task.html", _task_context(request, task))


def task_panels(task: Task) -> list[dict]:
    """Cards other apps add to a task page, each declared as `task_panel` (a dotted function path) on its
    AppConfig: the function returns {"template": ..., **context} or None. The tracker imports none of them."""
    panels = []
    for cfg in apps.get_app_configs():
        path = getattr(cfg, "task_panel", None)
        if path:
            module, _dot, name = path.rpartition(".")
            panel = getattr(importlib.import_module(module), name)(task)
            if panel:
                panels.append(panel)
    return panels


def _task_context(request: HttpRequest, task: Task, *, notes_form: NotesForm | None = None) -> dict:
    my = TaskProgress.objects.filter(user=request.user, task=task).first()
    history = StatusChange.objects.filter(user=request.user, task=task)[:50]
    return {
        "task": task, "my": my, "history": history, "statuses": Status.choices,
        "notes_form": notes_form or NotesForm(initial={"notes": my.notes if my else ""}),
        "resources": task.resources.live(), "skills": task.skills.live(),
        "task_panels": task_panels(task),
    }


@require_POST
def task_status(request: HttpRequest, slug: str) -> HttpResponse:
    task = get_object_or_404(Task.objects.live(), slug=slug)
    status = request.POST.get("status", "")
    if status not in Status.values:
        return HttpResponseBadRequest(_("未知状态"))
    progress = services.task_set_status(user=request.user, task=task, status=status)
    if not request.htmx:
        return redirect(_safe_next(request) or f"/plan/{task.phase.slug}/")
    task.my = progress
    phase_progress = next(p for p in services.plan_progress(request.user).phases if p.phase.id == task.phase_id)
    return render(request, "tracker/_task_status_response.html",
                  {"task": task, "pp": phase_progress, "statuses": Status.choices})


@require_POST
def task_notes(request: HttpRequest, slug: str) -> HttpResponse:
    task = get_object_or_404(Task.objects.live(), slug=slug)
    form = NotesForm(request.POST)
    if not form.is_valid():
        # Nothing is saved and the note on file stays; the learner's text is given back with the reason.
        message = " ".join(form.errors["notes"])
        if request.htmx:
            return render(request, "_refused.html", {"message": message})
        return render(request, "tracker/task.html", _task_context(request, task, notes_form=form), status=400)
    services.task_set_notes(user=request.user, task=task, notes=form.cleaned_data["notes"])
    messages.success(request, _("笔记已保存。"))
    return redirect("task", slug=task.slug)


def _safe_next(request: HttpRequest) -> str:
    """The form's `next` when it is a path on this site (no NUL, no other host), else ""."""
    target = request.POST.get("next", "")
    if "\x00" in target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return target


def progress_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the user's own progress records (notes + history); anyone else's answers 404."""
    progress = get_object_or_404(TaskProgress.objects.select_related("task"), pk=pk, user=request.user)
    return redirect("task", slug=progress.task.slug)


def resources(request: HttpRequest) -> HttpResponse:
    qs = Resource.objects.live().prefetch_related("phases", Prefetch("tasks", queryset=Task.objects.live()))
    rtype = request.GET.get("type", "")
    phase = request.GET.get("phase", "")
    if rtype:
        qs = qs.filter(type=rtype)
    if phase:
        qs = qs.filter(phases__slug=phase)
    context = {"resources": qs.distinct(), "types": Resource.Type.choices, "phases": Phase.objects.live(),
               "current_type": rtype, "current_phase": phase}
    return render(request, "tracker/resources.html", context)
