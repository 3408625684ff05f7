"""Practice pages: exercise list and page, submitting, live verdicts (htmx polling), history."""

from __future__ import annotations

from django.db.models import Exists, Max, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tracker.models import Skill

from . import services
from .models import Exercise, Submission


def solved_subquery(user):
    return Submission.objects.solved().filter(user=user, exercise=OuterRef("pk"))


def exercise_list(request: HttpRequest) -> HttpResponse:
    qs = Exercise.objects.live().annotate(solved=Exists(solved_subquery(request.user))).prefetch_related("skills")
    filters = {k: request.GET.get(k, "") for k in ("kind", "skill", "difficulty", "solved")}
    if filters["kind"]:
        qs = qs.filter(kind=filters["kind"])
    if filters["skill"]:
        qs = qs.filter(skills__slug=filters["skill"])
    if filters["difficulty"]:
        qs = qs.filter(difficulty=filters["difficulty"])
    if filters["solved"] in ("yes", "no"):
        qs = qs.filter(solved=filters["solved"] == "yes")
    context = {
        "exercises": qs.distinct(), "filters": filters, "kinds": Exercise.Kind.choices,
        "difficulties": Exercise.Difficulty.choices,
        "skills": Skill.objects.live().filter(exercises__isnull=False).distinct(),
    }
    return render(request, "practice/exercise_list.html", context)


def exercise_detail(request: HttpRequest, slug: str) -> HttpResponse:
    exercise = get_object_or_404(Exercise.objects.live(), slug=slug)
    mine = Submission.objects.filter(user=request.user, exercise=exercise)
    best = mine.filter(mode=Submission.Mode.SUBMIT, status=Submission.Status.DONE).aggregate(best=Max("score"))["best"]
    solved = mine.solved().exists()
    latest = mine.first()
    last = mine.exclude(mode=Submission.Mode.EXAMPLES).first() if exercise.kind == Exercise.Kind.NUMERIC else None
    context = {
        "exercise": exercise, "history": mine[:20], "best": best, "solved": solved,
        "latest": latest, "last": last, "draft": latest.source if latest else "",
    }
    return render(request, "practice/exercise.html", context)


@require_POST
def submit(request: HttpRequest, slug: str) -> HttpResponse:
    exercise = get_object_or_404(Exercise.objects.live(), slug=slug)
    mode = Submission.Mode.EXAMPLES if request.POST.get("mode") == "examples" else Submission.Mode.SUBMIT
    try:
        submission = services.submission_create(
            user=request.user, exercise=exercise, source=request.POST.get("source", ""), mode=mode,
            answer=request.POST.get("answer", ""),
        )
    except services.SubmissionRefused as refused:
        # htmx swaps only 2xx responses: the message is shown in place. A plain form post gets 429 when the
        # learner has too much in the queue, 400 when the submission itself cannot be one (empty, NUL, too long).
        status = 429 if isinstance(refused, services.TooManyUnfinished) else 400
        return render(request, "_refused.html", {"message": str(refused)}, status=200 if request.htmx else status)
    if request.htmx:
        return render(request, "practice/_submission.html", {"s": submission})
    return redirect("submission", pk=submission.pk)


def submission_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part: polled every second by htmx until the verdict is in (then polling stops)."""
    submission = get_object_or_404(Submission.objects.select_related("exercise"), pk=pk, user=request.user)
    return render(request, "practice/_submission.html", {"s": submission})


def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_object_or_404(Submission.objects.select_related("exercise"), pk=pk, user=request.user)
    return render(request, "practice/submission.html", {"s": submission})


def submission_history(request: HttpRequest) -> HttpResponse:
    submissions = Submission.objects.filter(user=request.user).select_related("exercise")[:200]
    return render(request, "practice/history.html", {"submissions": submissions})
