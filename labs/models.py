"""Labs: the learners' runners (their GPU hosts) and the lab jobs the site dispatches to them."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Runner(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="runners")
    name = models.CharField(max_length=80)
    token_hash = models.CharField(max_length=64, unique=True)
    token_prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    capabilities = models.JSONField(default=dict, blank=True)
    # A runner serves its owner's jobs only, unless an admin shares it with everyone on the site (the
    # local runner of `make run`, a study group's common GPU box).
    shared = models.BooleanField(default=False)

    class Meta:
        db_table = "practice_runner"  # moved from the practice app with its rows (labs/migrations/0001)
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def create_with_token(cls, *, owner, name: str) -> tuple[Runner, str]:
        """The token is shown once: only its hash is stored."""
        token = "ddr_" + secrets.token_urlsafe(32)
        runner = cls.objects.create(owner=owner, name=name, token_hash=hash_token(token), token_prefix=token[:8])
        return runner, token

    @property
    def is_online(self) -> bool:
        if self.revoked_at or not self.last_seen_at:
            return False
        age = (timezone.now() - self.last_seen_at).total_seconds()
        return age < settings.RUNNER_HEARTBEAT_TIMEOUT_S

    @property
    def queues(self) -> list[str]:
        return list(self.capabilities.get("queues", []))


class LabJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败")
        CANCELLED = "cancelled", _("已取消")

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_jobs")
    lab = models.CharField(max_length=40)  # labcontract.LABS
    queue = models.CharField(max_length=20)  # labcontract.QUEUES
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=200, blank=True)
    runner = models.ForeignKey(Runner, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    # The runner the job was dispatched to (its own queue); only that runner may start it.
    target = models.ForeignKey(Runner, null=True, blank=True, on_delete=models.SET_NULL, related_name="targeted_jobs")
    attempt = models.PositiveIntegerField(default=1)
    max_attempts = models.PositiveIntegerField(default=2)  # a job whose runner vanished is re-queued once
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    log_tail = models.TextField(blank=True)
    system_info = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)  # last send_task; a lost message is re-sent
    dispatches = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "practice_labjob"  # moved from the practice app with its rows (labs/migrations/0001)
        ordering = ["-created_at", "-id"]

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class EvidenceChoice(models.Model):
    """The job a learner chose to represent a lab on their dashboard, skill pages and portfolio (one per lab);
    without one, labs/evidence.py picks the best valid job."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_evidence_choices")
    lab = models.CharField(max_length=40)
    job = models.ForeignKey(LabJob, on_delete=models.CASCADE, related_name="+")
    chosen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "lab"], name="one_evidence_choice_per_lab")]
