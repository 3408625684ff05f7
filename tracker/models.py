"""The learning plan as rows (phases, sections, tasks, resources, skills) and each user's progress on it.

Content rows are keyed by stable slugs and loaded by `manage.py load_content`; a row removed from the
files is archived, never deleted, so users' history survives.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def english_active() -> bool:
    return (get_language() or "").startswith("en")


class Localized:
    """Pick the English field when the active language is English and a translation exists."""

    def loc(self, field: str) -> str:
        if english_active():
            value = getattr(self, f"{field}_en", "")
            if value:
                return value
        return getattr(self, field)

    @property
    def display_title(self) -> str:
        return self.loc("title")


class ContentQuerySet(models.QuerySet):
    def live(self):
        return self.filter(archived=False)


# Content links (a plan question's or a review card's "read more"): {"kind", "slug", "title", "title_en"} as
# resolved by the content loader, so pages show them without a query per card.
LINK_URL_NAMES = {"article": "article", "task": "task", "exercise": "exercise"}


def resolve_links(links: list[dict]) -> list[dict]:
    """[{"kind", "url", "title"}] in the active language (Chinese where the English title is missing)."""
    english = english_active()
    return [{"kind": link["kind"], "url": reverse(LINK_URL_NAMES[link["kind"]], args=[link["slug"]]),
             "title": (english and link.get("title_en")) or link["title"]} for link in links]


class ContentModel(Localized, models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    archived = models.BooleanField(default=False, help_text=_("removed from the content files"))

    objects = ContentQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.slug


class Skill(ContentModel):
    order = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True)
    description_en = models.TextField(blank=True)

    class Meta:
        ordering = ["order"]

    @property
    def display_title(self) -> str:
        return self.loc("name")


class Phase(ContentModel):
    order = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    duration = models.CharField(max_length=60, blank=True)
    duration_en = models.CharField(max_length=60, blank=True)
    start_week = models.PositiveIntegerField(default=0)
    weeks = models.PositiveIntegerField(default=4)

    class Meta:
        ordering = ["order"]

    def window(self, start: dt.date) -> tuple[dt.date, dt.date] | None:
        """The phase's planned dates from the plan's start, or None past the last date Python can hold
        (a page that shows the schedule must render whatever start date is stored)."""
        try:
            begin = start + dt.timedelta(weeks=self.start_week)
            return begin, begin + dt.timedelta(weeks=self.weeks)
        except OverflowError:
            return None


class Section(Localized, models.Model):
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="sections")
    slug = models.SlugField(max_length=120)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    tutorial = models.CharField(max_length=200, blank=True)
    tutorial_en = models.CharField(max_length=200, blank=True)
    # The tutorial's chapters as README sections: [{"title", "title_en", "url", "url_en"}].
    tutorial_links = models.JSONField(default=list, blank=True)
    archived = models.BooleanField(default=False)

    objects = ContentQuerySet.as_manager()

    class Meta:
        ordering = ["phase__order", "number"]
        constraints = [models.UniqueConstraint(fields=["phase", "slug"], name="section_slug_per_phase")]

    def __str__(self) -> str:
        return f"{self.phase.slug}/{self.slug}"

    @property
    def chapters(self) -> list[dict]:
        """Tutorial chapters as {"title", "url"} in the active language (the Chinese README otherwise)."""
        english = english_active()
        return [{"title": (english and c.get("title_en")) or c["title"],
                 "url": (english and c.get("url_en")) or c["url"]} for c in self.tutorial_links]


class ResourceQuerySet(ContentQuerySet):
    def key_only(self):
        """The seed plan's 关键资源推荐, in its order: books, courses, open-source projects, communities."""
        order = models.Case(*[models.When(type=value, then=i) for i, value in enumerate(Resource.Type.values)],
                            output_field=models.IntegerField())
        return self.filter(key=True).order_by(order, "title")

    def not_key(self):
        return self.filter(key=False)


class Resource(ContentModel):
    class Type(models.TextChoices):
        BOOK = "book", _("书籍")
        COURSE = "course", _("课程")
        OFFICIAL_DOC = "official-doc", _("官方文档")
        OPEN_SOURCE = "open-source", _("开源项目")
        ARTICLE = "article", _("文章/论文")
        COMMUNITY = "community", _("社区")

    title = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200, blank=True)
    type = models.CharField(max_length=20, choices=Type.choices)
    url = models.URLField(max_length=500)
    description = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    phases = models.ManyToManyField(Phase, blank=True, related_name="resources")
    key = models.BooleanField(default=False, help_text=_("one of the seed plan's 关键资源推荐"))

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["type", "title"]


class Task(ContentModel):
    class Kind(models.TextChoices):
        HANDS_ON = "hands-on", _("实操")
        EXTENDED_KNOWLEDGE = "extended-knowledge", _("拓展知识")
        EXTENDED_PRACTICE = "extended-practice", _("拓展实操")
        KEY_LEARNING = "key-learning", _("关键学习")
        MUST_LEARN = "must-learn", _("必学内容")
        PROJECT = "project", _("项目实战")
        TOOLCHAIN = "toolchain", _("工具链")
        RECOMMENDED_PROJECT = "recommended-project", _("推荐项目")
        COMPETITION = "competition", _("竞赛")
        MINIMUM = "minimum", _("最低要求")

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="tasks")
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="tasks")
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="tasks")
    resources = models.ManyToManyField(Resource, blank=True, related_name="tasks")

    class Meta:
        ordering = ["phase__order", "section__number", "order"]


class PlanNote(ContentModel):
    """The plan's frame: its title and closing goal, hardware assessment, its solutions, the time plan, and the
    extra Q&A."""

    class Kind(models.TextChoices):
        TITLE = "title", _("计划标题")
        GOAL = "goal", _("计划目标")
        HARDWARE = "hardware", _("硬件评估")
        SOLUTION = "solution", _("解决方案")
        TIMELINE = "timeline", _("时间规划")
        QUESTION = "question", _("附加问题")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    months = models.CharField(max_length=20, blank=True, help_text=_("timeline: how many months, e.g. 1-2, 6+"))
    links = models.JSONField(default=list, blank=True)  # questions: articles and tasks to read (see resolve_links)
    skills = models.ManyToManyField(Skill, blank=True, related_name="plan_notes")

    class Meta:
        ordering = ["kind", "order"]

    @property
    def link_list(self) -> list[dict]:
        return resolve_links(self.links)

    @property
    def frame(self) -> PlanFrame:
        """The whole plan's title, closing goal and key resources, reachable from any note a page shows."""
        return plan_frame()


@dataclass
class PlanFrame:
    title: PlanNote | None = None
    goal: PlanNote | None = None
    key_resources: list[Resource] = field(default_factory=list)


def plan_frame() -> PlanFrame:
    """Two queries: the title and goal notes, and the key resources."""
    notes = {n.kind: n for n in PlanNote.objects.live().filter(kind__in=[PlanNote.Kind.TITLE, PlanNote.Kind.GOAL])}
    return PlanFrame(title=notes.get(PlanNote.Kind.TITLE), goal=notes.get(PlanNote.Kind.GOAL),
                     key_resources=list(Resource.objects.live().key_only()))


class Status(models.TextChoices):
    TODO = "todo", _("待办")
    DOING = "doing", _("进行中")
    DONE = "done", _("已完成")
    SKIP = "skip", _("跳过")


COMPLETE_STATUSES = (Status.DONE, Status.SKIP)  # as on roadmap.sh, skipped counts as complete


class TaskProgress(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="task_progress")
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="progress")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TODO)
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "task"], name="one_progress_per_user_task")]
        indexes = [models.Index(fields=["user", "status"])]

    @property
    def is_complete(self) -> bool:
        return self.status in COMPLETE_STATUSES


class StatusChange(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="status_changes")
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="status_changes")
    old = models.CharField(max_length=10, choices=Status.choices)
    new = models.CharField(max_length=10, choices=Status.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]


# The start dates the schedule computes from: the plan's windows end a year or two after the start, and a date
# outside these years is a typo (year 9999 leaves no room for the windows; evidence.transfer keeps the same years).
START_DATE_RANGE = (dt.date(1970, 1, 1), dt.date(2199, 12, 31))


def start_date_error(start: dt.date | None) -> str | None:
    """Why the schedule cannot start on `start`, or None when it can (or no date is set)."""
    if start is None or START_DATE_RANGE[0] <= start <= START_DATE_RANGE[1]:
        return None
    return _("开始日期须在 %(first)s 到 %(last)s 之间，排期才能从它算起；%(date)s 不在其中。") % {
        "first": START_DATE_RANGE[0].isoformat(), "last": START_DATE_RANGE[1].isoformat(), "date": start.isoformat()}


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    start_date = models.DateField(null=True, blank=True, help_text=_("the day the plan starts"))
    # The public portfolio (evidence/portfolio.py), off until the user publishes it: its URL is /p/<token>/.
    # Revoking clears the token, so the old URL answers 404; publishing again draws a new one.
    portfolio_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    portfolio_published_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"profile of {self.user}"

    def clean(self) -> None:
        error = start_date_error(self.start_date)
        if error:
            raise ValidationError({"start_date": error})

    def publish_portfolio(self) -> str:
        """A new unguessable token (any earlier link stops working), saved and returned."""
        self.portfolio_token = secrets.token_urlsafe(24)
        self.portfolio_published_at = timezone.now()
        self.save(update_fields=["portfolio_token", "portfolio_published_at"])
        return self.portfolio_token

    def revoke_portfolio(self) -> None:
        self.portfolio_token = None
        self.portfolio_published_at = None
        self.save(update_fields=["portfolio_token", "portfolio_published_at"])
