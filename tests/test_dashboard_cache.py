"""The dashboard is cached on the learner's version (core.versions), yet moves after every write that changes
what it shows, and runs a bounded number of queries whatever the learner's history."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

import labcontract
from knowledge.models import ChecklistItem
from knowledge.reviews import review_item
from labs import services as labs
from labs.models import LabJob, Runner
from practice import services as practice
from practice.models import Exercise, Submission
from tracker.models import Status, Task
from tracker.services import task_set_status

ROOT = Path(__file__).resolve().parent.parent
MAX_QUERIES = 12


def shown(client) -> dict:
    """What a learner reads on the dashboard: overall progress, activity, two skills' evidence, lab links."""
    html = client.get(reverse("dashboard")).content.decode()

    def number(pattern: str) -> int:
        return int(re.search(pattern, html).group(1))

    return {"overall": number(r'data-testid="overall-pct">(\d+)%'),
            "activity": number(r'data-testid="activity-total">(\d+)'),
            "algorithms": number(r'data-skill="algorithms">(\d+)%'),
            "quantization": number(r'data-skill="quantization">(\d+)%'),
            "lab_links": len(re.findall(r'href="/labs/jobs/\d+/"', html))}


def quant_result() -> dict:
    return json.loads((ROOT / "tests" / "data" / "lab_results" / "quant-inference.json").read_text())


def finished_lab_job(client, user) -> LabJob:
    """A quant-inference job taken by the user's runner and finished through the runner API."""
    runner, token = Runner.create_with_token(owner=user, name="laptop")
    job = labs.job_create(user=user, lab="quant-inference", queue="lab.cpu", params={"precisions": ["fp32"]})
    LabJob.objects.filter(id=job.id).update(target=runner)
    result = quant_result()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for path, body in ((f"jobs/{job.id}/start", {"attempt": 1, "system_info": {"host": "x"}}),
                       (f"jobs/{job.id}/result", {"attempt": 1, "result": result})):
        response = client.post(labcontract.API_PREFIX + path, data=json.dumps(body),
                               content_type="application/json", **headers)
        assert response.status_code == 200, response.content
    return job


@pytest.mark.django_db
def test_the_cached_dashboard_moves_after_each_kind_of_write(client_a, user, plan_content,
                                                             django_capture_on_commit_callbacks):
    before = shown(client_a)
    assert shown(client_a) == before  # served again from the cache: nothing changed

    task = Task.objects.live().first()
    client_a.post(reverse("task_status", args=[task.slug]), {"status": "done"}, HTTP_HX_REQUEST="true")
    after_status = shown(client_a)
    assert after_status["overall"] > before["overall"] and after_status["activity"] == before["activity"] + 1

    coin = Exercise.objects.get(slug="coin-change-min")
    source = next((ROOT / "content" / "exercises").glob("*/coin-change-min/reference.py")).read_text()
    with django_capture_on_commit_callbacks(execute=False):  # no broker here: the judge is called below
        client_a.post(reverse("submit", args=[coin.slug]), {"source": source}, HTTP_HX_REQUEST="true")
    submitted = shown(client_a)
    assert submitted["activity"] == after_status["activity"] + 1
    assert submitted["algorithms"] == before["algorithms"]  # queued, not yet judged
    judged = practice.submission_judge(Submission.objects.get(user=user, exercise=coin).id)  # the Celery task's body
    assert judged.verdict == "AC"
    after_verdict = shown(client_a)
    assert after_verdict["algorithms"] > submitted["algorithms"]

    with django_capture_on_commit_callbacks(execute=False):
        finished_lab_job(client_a, user)
    after_lab = shown(client_a)
    assert after_lab["lab_links"] == after_verdict["lab_links"] + 1
    assert after_lab["quantization"] > after_verdict["quantization"]

    item = ChecklistItem.objects.filter(user__isnull=True, archived=False).first()
    client_a.post(reverse("review_rate", args=[item.pk]), {"rating": "3"}, HTTP_HX_REQUEST="true")
    assert shown(client_a)["activity"] == after_lab["activity"] + 1


@pytest.mark.django_db
def test_a_new_start_date_moves_the_schedule_on_the_dashboard(client_a, plan_content):
    start = timezone.localdate() - dt.timedelta(days=30)
    assert f"{start.isoformat()} →" not in client_a.get(reverse("dashboard")).content.decode()
    client_a.post(reverse("schedule"), {"start_date": start.isoformat()})
    assert f"{start.isoformat()} →" in client_a.get(reverse("dashboard")).content.decode()  # phase 1's window


def give_history(user) -> None:
    """A little of everything the dashboard summarises, written the way the site writes it."""
    for i, task in enumerate(Task.objects.live()[:12]):
        task_set_status(user=user, task=task, status=Status.DONE if i % 2 else Status.DOING)
    exercises = list(Exercise.objects.live()[:10])
    now = timezone.now()
    Submission.objects.bulk_create([
        Submission(user=user, exercise=exercises[i % len(exercises)], status="done", verdict="AC" if i % 3 else "WA",
                   source="x = 1", created_at=now - dt.timedelta(hours=7 * i)) for i in range(300)])
    result = quant_result()
    LabJob.objects.bulk_create([LabJob(user=user, lab="quant-inference", queue="lab.cpu", status="succeeded",
                                       result=result, created_at=now - dt.timedelta(days=i)) for i in range(30)])
    for item in ChecklistItem.objects.filter(user__isnull=True, archived=False)[:15]:
        review_item(user=user, item=item, rating=3, now=now - dt.timedelta(days=2))


@pytest.mark.django_db
@pytest.mark.parametrize("history", [False, True], ids=["empty user", "user with data"])
def test_the_dashboard_runs_at_most_twelve_queries(client, make_user, plan_content, history,
                                                   django_assert_max_num_queries):
    learner = make_user()
    if history:
        give_history(learner)
    client.force_login(learner)
    with django_assert_max_num_queries(MAX_QUERIES):  # the first view: nothing cached for this learner yet
        assert client.get(reverse("dashboard")).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.django_db
def test_the_clock_part_is_kept_only_until_a_card_falls_due(user, plan_content):
    from knowledge.reviews import review_summary

    now = timezone.now()
    item = ChecklistItem.objects.filter(user__isnull=True, archived=False).first()
    card = review_item(user=user, item=item, rating=1, now=now)  # "Again": due again within minutes
    summary = review_summary(user, now=now)
    assert summary.due == 0 and summary.until == card.due
    assert review_summary(user, now=summary.until).due == 1


@pytest.mark.django_db
def test_lab_results_are_one_representative_job_per_lab_never_an_empty_or_failed_one(user):
    """Issue 18: the dashboard shows the job that represents each lab (labs/evidence.py), not the latest five."""
    from evidence.dashboard import lab_results
    from tests.support import lab_result

    now = timezone.now()
    LabJob.objects.create(user=user, lab="cpp-tokenizer", queue="lab.cpu", status="succeeded", result={},
                          created_at=now - dt.timedelta(days=30))  # measured nothing: no evidence
    LabJob.objects.create(user=user, lab="vllm-batch", queue="lab.cpu", status="failed", created_at=now)
    quant = [LabJob.objects.create(user=user, lab="quant-inference", queue="lab.cpu", status="succeeded",
                                   result=lab_result("quant-inference"), params={"model": "smollm2-135m"},
                                   created_at=now - dt.timedelta(days=i)) for i in range(6)]
    shown, measured = lab_results(user)
    assert [job.id for job in shown] == [quant[0].id]  # equal figures: the newest
    assert measured == {"quant-inference"} and shown[0].evidence_chosen is False


def test_a_cache_that_is_down_fails_no_write_and_serves_nothing_stale(client_a, plan_content, settings):
    """Redis gone (nothing listens on port 1): a status change still saves, and the dashboard, computed afresh,
    shows it."""
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                      "LOCATION": "redis://127.0.0.1:1/0"}}  # Django resets caches
    before = shown(client_a)
    task = Task.objects.live().order_by("phase__order", "order").first()
    response = client_a.post(reverse("task_status", args=[task.slug]), {"status": "done"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert task.progress.get().status == Status.DONE
    assert shown(client_a)["overall"] > before["overall"]
