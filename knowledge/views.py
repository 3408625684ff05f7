"""Knowledge pages: article list and article, search, skill evidence, interview checklist and review session,
(skill evidence, the dashboard and record export/import are the evidence app's)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.markdown import render_markdown
from core.versions import bump_user_version
from practice.models import Submission
from tracker.models import Skill, Status, TaskProgress

from . import reviews, search
from .forms import ChecklistItemForm
from .models import Article, ChecklistItem, ReviewCard, ReviewLog


def article_list(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.live().prefetch_related(Prefetch("skills", queryset=Skill.objects.live()))
    skill = request.GET.get("skill", "")
    if skill:
        articles = articles.filter(skills__slug=skill)
    return render(request, "knowledge/article_list.html",
                  {"articles": articles, "skills": Skill.objects.live(), "current_skill": skill})


def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article.objects.live(), slug=slug)
    solved = set(Submission.objects.solved().filter(user=request.user, exercise__articles=article)
                 .values_list("exercise_id", flat=True))
    tasks = list(article.tasks.live().select_related("phase"))
    progress = {p.task_id: p.status for p in TaskProgress.objects.filter(user=request.user, task__in=tasks)}
    for t in tasks:
        t.my_status = progress.get(t.id, Status.TODO)
    exercises = list(article.exercises.live())
    for e in exercises:
        e.solved = e.id in solved
    context = {
        "article": article, "body_html": render_markdown(article.body), "skills": article.skills.live(),
        "tasks": tasks, "exercises": exercises, "labs": article.labs,
        "items": article.items.filter(archived=False),
    }
    return render(request, "knowledge/article.html", context)


def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    hits = search.search(query, user=request.user) if query else []
    template = "knowledge/_search_results.html" if request.htmx else "knowledge/search.html"
    return render(request, template, {"query": query, "hits": hits})


def checklist(request: HttpRequest, *, form: ChecklistItemForm | None = None, status: int = 200) -> HttpResponse:
    items = reviews.visible_items(request.user).select_related("article").prefetch_related("skills")
    cards = {c.item_id: c for c in ReviewCard.objects.filter(user=request.user)}
    groups: dict[str, list[ChecklistItem]] = {value: [] for value, _label in ChecklistItem.Source.choices}
    for item in items:
        item.my_card = cards.get(item.id)
        groups[item.source].append(item)
    context = {"groups": [(label, groups[value]) for value, label in ChecklistItem.Source.choices],
               "form": form or ChecklistItemForm(), "queue": reviews.queue_counts(request.user)}
    return render(request, "knowledge/checklist.html", context, status=status)


@require_POST
def checklist_add(request: HttpRequest) -> HttpResponse:
    form = ChecklistItemForm(request.POST)
    if not form.is_valid():
        # Each field's own reason ("相关文章：…不存在"), not one guess; the typed question is given back.
        reasons = [_field_reason(form, name, error) for name, errors in form.errors.items() for error in errors]
        if request.htmx:
            return render(request, "_refused.html", {"message": " ".join(reasons)})
        for reason in reasons:
            messages.error(request, reason)
        return checklist(request, form=form, status=400)
    item = form.save(commit=False)
    item.user, item.source, item.key = request.user, ChecklistItem.Source.USER, ChecklistItem.new_user_key()
    item.save()
    form.save_m2m()
    bump_user_version(request.user.id)  # the dashboard's review queue and readiness count the learner's items
    messages.success(request, _("已加入面试清单。"))
    return redirect("checklist")


def _field_reason(form, name: str, error: str) -> str:
    label = form.fields[name].label if name in form.fields else ""
    text = f"{label}{_('：')}{error}" if label else str(error)
    return text.replace("\x00", "\\0")  # a submitted value quoted in the message is shown, not stored


@require_POST
def checklist_delete(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(ChecklistItem, pk=pk, user=request.user).delete()
    bump_user_version(request.user.id)
    return redirect("checklist")


def review(request: HttpRequest) -> HttpResponse:
    return render(request, "knowledge/review.html", _review_context(request.user))


def _review_context(user, *, revealed: bool = False, item: ChecklistItem | None = None) -> dict:
    item = item or reviews.next_item(user)
    ctx = {"item": item, "revealed": revealed, "queue": reviews.queue_counts(user), "ratings": []}
    if item and revealed:
        preview = reviews.intervals_preview(user, item)
        ctx["ratings"] = [(value, label, _interval(preview[value])) for value, label in ReviewLog.Rating.choices]
        ctx["answer_html"] = render_markdown(item.loc("answer"))
    return ctx


def _interval(delta) -> str:
    seconds = delta.total_seconds()
    if seconds < 3600:
        return _("%d 分钟") % max(1, round(seconds / 60))
    if seconds < 86400:
        return _("%d 小时") % round(seconds / 3600)
    return _("%d 天") % round(seconds / 86400)


def review_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(reviews.visible_items(request.user), pk=pk)
    return render(request, "knowledge/_review_card.html", _review_context(request.user, revealed=True, item=item))


@require_POST
def review_rate(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(reviews.visible_items(request.user), pk=pk)
    try:
        rating = int(request.POST.get("rating", ""))
        if rating not in (1, 2, 3, 4):
            raise ValueError
    except ValueError:
        if request.htmx:
            return render(request, "_refused.html", {"message": _("评分须为 1-4")})
        return HttpResponseBadRequest(_("评分须为 1-4"))
    reviews.review_item(user=request.user, item=item, rating=rating, now=timezone.now())
    if not request.htmx:
        return redirect("review")
    return render(request, "knowledge/_review_card.html", _review_context(request.user))
