"""Knowledge base rows (articles), the search index, the interview checklist and its FSRS review state."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import labcontract
from practice.models import Exercise
from tracker.models import ContentModel, Localized, PlanNote, Skill, Task, resolve_links

LABS = labcontract.LABS  # the contract's list: a new lab is a valid article link as soon as the runner has it


class Article(ContentModel):
    title = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    labs = models.JSONField(default=list, blank=True)
    order = models.PositiveIntegerField(default=0)
    skills = models.ManyToManyField(Skill, blank=True, related_name="articles")
    tasks = models.ManyToManyField(Task, blank=True, related_name="articles")
    exercises = models.ManyToManyField(Exercise, blank=True, related_name="articles")

    class Meta:
        ordering = ["order", "slug"]


class SearchDoc(models.Model):
    """One searchable thing. `*_terms` hold the pre-segmented text (CJK bigrams + lowercase words) so
    PostgreSQL's 'simple' configuration and SQLite's substring match see the same tokens."""

    class Kind(models.TextChoices):
        ARTICLE = "article", _("知识库")
        TASK = "task", _("任务")
        EXERCISE = "exercise", _("练习")
        NOTE = "note", _("我的笔记")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.PositiveIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")  # set only for private documents (notes)
    slug = models.CharField(max_length=120)
    title = models.CharField(max_length=300)
    text = models.TextField(blank=True)
    title_terms = models.TextField(blank=True)
    text_terms = models.TextField(blank=True)
    vector = SearchVectorField(null=True, blank=True)  # PostgreSQL only; NULL on SQLite

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="one_search_doc_per_object")]
        indexes = [models.Index(fields=["user"])]


class ChecklistItem(Localized, models.Model):
    """An interview-prep question: from the plan's 附加问题, from an article's Q&A, or added by a user."""

    class Source(models.TextChoices):
        PLAN = "plan", _("附加问题")
        ARTICLE = "article", _("知识库")
        USER = "user", _("我添加的")

    key = models.CharField(max_length=160, unique=True)  # content: "article/<slug>/<n>", "plan/<slug>"; user: uuid
    source = models.CharField(max_length=10, choices=Source.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="checklist_items")
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    plan_note = models.ForeignKey(PlanNote, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order = models.PositiveIntegerField(default=0)
    prompt = models.TextField()
    prompt_en = models.TextField(blank=True)
    answer = models.TextField(blank=True)
    answer_en = models.TextField(blank=True)
    # Where to read up (plan questions): [{"kind": "article"|"task", "slug", "title", "title_en"}].
    links = models.JSONField(default=list, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="checklist_items")
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["source", "order", "id"]

    def __str__(self) -> str:
        return self.key

    @property
    def link_list(self) -> list[dict]:
        return resolve_links(self.links)

    @staticmethod
    def new_user_key() -> str:
        return f"user/{uuid.uuid4()}"


class ReviewCard(models.Model):
    """FSRS state of one checklist item for one user (fsrs.Card.to_dict())."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_cards")
    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="cards")
    card = models.JSONField()
    due = models.DateTimeField()
    state = models.PositiveSmallIntegerField(default=1)  # fsrs.State: 1 learning, 2 review, 3 relearning
    stability = models.FloatField(null=True, blank=True)
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "item"], name="one_card_per_user_item")]
        indexes = [models.Index(fields=["user", "due"])]


class ReviewLog(models.Model):
    class Rating(models.IntegerChoices):
        AGAIN = 1, _("重来")
        HARD = 2, _("困难")
        GOOD = 3, _("良好")
        EASY = 4, _("简单")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_logs")
    card = models.ForeignKey(ReviewCard, on_delete=models.CASCADE, related_name="logs")
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    reviewed_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        indexes = [models.Index(fields=["user", "reviewed_at"])]
