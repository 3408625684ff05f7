"""Export and import of a user's whole record: same dashboard after import, idempotent, all-or-nothing."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from evidence.dashboard import figures, summary
from evidence.transfer import RecordError, export_record, import_record
from knowledge.models import ChecklistItem, ReviewCard, ReviewLog
from knowledge.reviews import review_item
from labs.models import LabJob
from practice.models import Exercise, Submission
from tests.support import lab_result
from tracker.models import Profile, Skill, Status, StatusChange, Task, TaskProgress
from tracker.services import task_set_notes, task_set_status

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def rich_record(user) -> None:
    Profile.objects.update_or_create(user=user, defaults={"start_date": dt.date(2026, 1, 5)})
    tasks = list(Task.objects.live().filter(skills__slug="quantization")[:3]) + list(Task.objects.live()[:2])
    for t in tasks:
        task_set_status(user=user, task=t, status=Status.DOING)
        task_set_status(user=user, task=t, status=Status.DONE)
    task_set_notes(user=user, task=tasks[0], notes="GPTQ 的校准集用了 128 条")
    for i, ex in enumerate(Exercise.objects.live()[:6]):
        Submission.objects.create(user=user, exercise=ex, mode="submit", status="done", verdict="AC" if i % 2 else "WA",
                                  source="def f(): ...", created_at=NOW - dt.timedelta(days=i))
    LabJob.objects.create(user=user, lab="quant-inference", queue="lab.cuda", status="succeeded",
                          result=lab_result("quant-inference"),
                          created_at=NOW - dt.timedelta(days=2), finished_at=NOW - dt.timedelta(days=2))
    mine = ChecklistItem.objects.create(key=ChecklistItem.new_user_key(), source="user", user=user,
                                        prompt="KV cache 怎么算？", answer="2·L·H·d·bytes")
    mine.skills.set([Skill.objects.get(slug="gpu-memory")])
    for item in [mine, *ChecklistItem.objects.filter(user__isnull=True)[:4]]:
        review_item(user=user, item=item, rating=3, now=NOW - dt.timedelta(days=3))
        review_item(user=user, item=item, rating=4, now=NOW - dt.timedelta(days=1))


def test_export_then_import_into_another_account_gives_the_same_dashboard(user, other_user, plan_content):
    rich_record(user)
    data = json.loads(json.dumps(export_record(user)))  # through real JSON text
    report = import_record(other_user, data)
    assert report.added > 0
    assert summary(figures(other_user, now=NOW)) == summary(figures(user, now=NOW))
    assert Profile.objects.get(user=other_user).start_date == dt.date(2026, 1, 5)
    assert TaskProgress.objects.get(user=other_user, notes__contains="128 条")
    assert ReviewLog.objects.filter(user=other_user).count() == ReviewLog.objects.filter(user=user).count() == 10
    content_logs = [r for r in export_record(other_user)["review_logs"] if not r["item"].startswith("user/")]
    assert content_logs == [r for r in data["review_logs"] if not r["item"].startswith("user/")]


def test_importing_the_same_file_twice_adds_nothing(user, other_user, plan_content):
    rich_record(user)
    data = export_record(user)
    import_record(other_user, data)
    counts = [m.objects.filter(user=other_user).count()
              for m in (TaskProgress, StatusChange, Submission, LabJob, ChecklistItem, ReviewCard, ReviewLog)]
    again = import_record(other_user, data)
    assert again.added == 0
    assert counts == [m.objects.filter(user=other_user).count()
                      for m in (TaskProgress, StatusChange, Submission, LabJob, ChecklistItem, ReviewCard, ReviewLog)]


def test_importing_into_the_same_account_is_a_no_op(user, plan_content):
    rich_record(user)
    before = summary(figures(user, now=NOW))
    assert import_record(user, export_record(user)).added == 0
    assert summary(figures(user, now=NOW)) == before


@pytest.mark.parametrize("breakage, message", [
    (lambda d: d.update(version=99), "version"),
    (lambda d: d["tasks"][0].update(status="finished"), "tasks/0/status"),
    (lambda d: d["submissions"][0].update(exercise="no-such-exercise"), "no-such-exercise"),
    (lambda d: d["review_cards"][-1].update(item="article/nope/1"), "article/nope/1"),
])
def test_a_broken_record_is_refused_and_nothing_is_written(user, other_user, plan_content, breakage, message):
    rich_record(user)
    data = export_record(user)
    breakage(data)
    with pytest.raises(RecordError, match=message.replace("/", ".")):
        import_record(other_user, data)
    assert not TaskProgress.objects.filter(user=other_user).exists()
    assert not Submission.objects.filter(user=other_user).exists()
    assert not Profile.objects.filter(user=other_user, start_date__isnull=False).exists()


def test_download_and_upload_through_the_pages(client, user, other_user, plan_content):
    rich_record(user)
    client.force_login(user)
    response = client.get(reverse("record_export"))
    assert response["Content-Disposition"].startswith('attachment; filename="deploydojo-alice-')
    payload = response.content
    client.force_login(other_user)
    upload = io.BytesIO(payload)
    upload.name = "record.json"
    page = client.post(reverse("record_import"), {"file": upload}, follow=True).content.decode()
    assert 'data-testid="import-report"' in page and "submissions: +6" in page
    bad = io.BytesIO(payload.replace(b'"deploydojo-record"', b'"something-else"'))
    bad.name = "bad.json"
    page = client.post(reverse("record_import"), {"file": bad}).content.decode()
    assert 'class="errorlist"' in page and "format: &#x27;deploydojo-record&#x27; was expected" in page


def test_management_command_imports_into_a_new_account(tmp_path, user, plan_content, django_user_model):
    rich_record(user)
    path = tmp_path / "record.json"
    call_command("export_record", "--user", "alice", "-o", str(path))
    out = io.StringIO()
    call_command("import_record", str(path), "--user", "carol", "--create-user", stdout=out)
    assert "submissions +6" in out.getvalue()
    carol = django_user_model.objects.get(username="carol")
    assert summary(figures(carol, now=NOW)) == summary(figures(user, now=NOW))
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not a JSON file"):
        call_command("import_record", str(path), "--user", "carol")
