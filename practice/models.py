"""Practice: exercises (content) and submissions judged in the sandbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.models import ContentModel, Skill

DIFFICULTY_WEIGHTS = {"easy": 1, "medium": 2, "hard": 3}  # skill evidence per solved exercise


class Exercise(ContentModel):
    class Kind(models.TextChoices):
        ALGORITHM = "algorithm", _("算法")
        ATTENTION = "attention", _("Attention 实现")
        NUMERIC = "numeric", _("数值计算")

    class Difficulty(models.TextChoices):
        EASY = "easy", _("简单")
        MEDIUM = "medium", _("中等")
        HARD = "hard", _("困难")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices)
    skills = models.ManyToManyField(Skill, blank=True, related_name="exercises")
    statement = models.TextField()
    statement_en = models.TextField(blank=True)
    entry = models.CharField(max_length=80, blank=True)
    signature = models.CharField(max_length=300, blank=True)
    time_s = models.FloatField(default=2.0)
    memory_mb = models.PositiveIntegerField(default=256)
    checker = models.CharField(max_length=10, default="exact")
    checker_source = models.TextField(
        blank=True, help_text=_("custom checker (trusted content, runs outside the sandbox)")
    )
    tolerance = models.JSONField(default=dict, blank=True)
    numpy_args = models.BooleanField(default=False)
    examples = models.JSONField(default=list, blank=True)
    tests = models.JSONField(default=list, blank=True)  # hidden: [{"args": [...], "expected": ...}]
    complexity = models.JSONField(null=True, blank=True)
    complexity_args = models.JSONField(null=True, blank=True)
    answer = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    explanation = models.TextField(blank=True)
    explanation_en = models.TextField(blank=True)

    class Meta:
        ordering = ["kind", "order", "slug"]

    @property
    def weight(self) -> int:
        """Skill evidence weight by difficulty."""
        return DIFFICULTY_WEIGHTS.get(self.difficulty, 1)


class SubmissionQuerySet(models.QuerySet):
    def solved(self):
        """The one rule for "solved": a graded submission (not a run of the examples) that got AC."""
        return self.filter(mode=Submission.Mode.SUBMIT, verdict="AC")


class Submission(models.Model):
    objects = SubmissionQuerySet.as_manager()

    class Mode(models.TextChoices):
        EXAMPLES = "examples", _("运行示例")
        SUBMIT = "submit", _("提交")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        DONE = "done", _("已判定")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="submissions")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.SUBMIT)
    source = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempt = models.PositiveIntegerField(default=0)
    verdict = models.CharField(max_length=4, blank=True)  # AC WA TLE MLE RE OLE CE IE
    score = models.FloatField(default=0.0)
    passed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    results = models.JSONField(default=list, blank=True)
    complexity_exponent = models.FloatField(null=True, blank=True)
    unsandboxed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Delivery bookkeeping: when the judge task was last sent, how often, and the judging worker's last
    # sign of life — so a lost message or a killed worker is noticed within a bounded time.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    deliveries = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "exercise", "verdict"]),
            # The dashboard's activity heatmap and history read a user's submissions by date.
            models.Index(fields=["user", "created_at"]),
        ]

    @property
    def is_finished(self) -> bool:
        return self.status == self.Status.DONE

    @property
    def solved(self) -> bool:
        return self.mode == self.Mode.SUBMIT and self.verdict == "AC"
