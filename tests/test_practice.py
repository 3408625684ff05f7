"""Practice through the site: submitting, a real worker on Redis, idempotent grading, limits, privacy, the browser."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.urls import reverse

from practice import services
from practice.models import Exercise, Submission

ROOT = Path(__file__).resolve().parent.parent
COIN = "coin-change-min"


def reference(slug: str) -> str:
    return next((ROOT / "content" / "exercises").glob(f"*/{slug}/reference.py")).read_text(encoding="utf-8")


def wait_done(submission_id: int, timeout: float = 60) -> Submission:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = Submission.objects.get(id=submission_id)
        if s.status == Submission.Status.DONE:
            return s
        time.sleep(0.3)
    raise AssertionError(f"submission {submission_id} not judged within {timeout} s")


@pytest.fixture
def coin(plan_content):
    return Exercise.objects.get(slug=COIN)


@pytest.mark.django_db
def test_reference_is_accepted_and_hidden_tests_reveal_nothing(user, coin, django_capture_on_commit_callbacks):
    submission = Submission.objects.create(user=user, exercise=coin, source=reference(COIN))
    judged = services.submission_judge(submission.id)
    assert judged.verdict == "AC" and judged.score == 1.0 and judged.total == len(coin.examples) + len(coin.tests)
    hidden = [r for r in judged.results if r["kind"] == "hidden"]
    assert hidden and all(set(r) == {"index", "kind", "verdict", "time_ms", "memory_kb"} for r in hidden)
    example = next(r for r in judged.results if r["kind"] == "example")
    assert {"args", "expected", "actual"} <= set(example)


@pytest.mark.django_db
def test_a_hidden_failure_does_not_echo_the_learners_exception(user, coin):
    source = ("def coin_change(coins, amount):\n"
              "    if amount not in (63, 7, 0): raise ValueError(f'leak {coins} {amount}')\n"
              "    return {63: 3, 7: -1, 0: 0}[amount]\n")
    judged = services.submission_judge(Submission.objects.create(user=user, exercise=coin, source=source).id)
    assert judged.verdict in ("WA", "RE")
    assert "leak" not in judged.message and "leak" not in str([r for r in judged.results if r["kind"] == "hidden"])


@pytest.mark.django_db
def test_judging_twice_never_grades_twice(user, coin):
    submission = Submission.objects.create(user=user, exercise=coin, source=reference(COIN))
    first = services.submission_judge(submission.id)
    again = services.submission_judge(submission.id)  # a re-delivered task
    assert first.verdict == "AC" and again is None
    assert Submission.objects.get(id=submission.id).attempt == 1


@pytest.mark.django_db
def test_at_most_three_unfinished_submissions_with_a_clear_message(client_a, user, coin):
    for _ in range(3):
        Submission.objects.create(user=user, exercise=coin, source="x = 1")
    response = client_a.post(reverse("submit", args=[COIN]), {"source": reference(COIN)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "3 个提交在排队或运行" in response.content.decode()
    assert Submission.objects.filter(user=user).count() == 3


@pytest.mark.django_db
def test_source_over_64_kib_is_refused(user, coin):
    with pytest.raises(services.SubmissionRefused, match="64 KiB"):
        services.submission_create(user=user, exercise=coin, source="#" * (64 * 1024 + 1))


@pytest.mark.django_db
def test_numeric_answer_within_tolerance_is_accepted_and_shows_the_explanation(client_a, plan_content):
    exercise = Exercise.objects.get(slug="kv-cache-bytes")
    client_a.post(reverse("submit", args=[exercise.slug]), {"answer": "1"}, HTTP_HX_REQUEST="true")
    page = client_a.get(reverse("exercise", args=[exercise.slug])).content.decode()
    assert 'data-testid="explanation"' not in page
    response = client_a.post(reverse("submit", args=[exercise.slug]), {"answer": str(exercise.answer * 1.005)},
                             HTTP_HX_REQUEST="true")
    assert 'data-testid="verdict">AC' in response.content.decode()
    page = client_a.get(reverse("exercise", args=[exercise.slug])).content.decode()
    assert 'data-testid="explanation"' in page


@pytest.mark.django_db
def test_another_users_submission_answers_404(client, user, other_user, coin):
    theirs = Submission.objects.create(user=other_user, exercise=coin, source="secret = 1")
    client.force_login(user)
    assert client.get(reverse("submission", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("submission_status", args=[theirs.pk])).status_code == 404


@pytest.mark.django_db
def test_exercise_list_filters_by_kind_difficulty_and_solved(client_a, user, coin):
    Submission.objects.create(user=user, exercise=coin, source="", mode="submit", status="done", verdict="AC")
    solved = client_a.get(reverse("exercises") + "?solved=yes").content.decode()
    assert f'data-testid="exercise-{COIN}"' in solved and solved.count('data-testid="exercise-') == 1
    attention = client_a.get(reverse("exercises") + "?kind=attention").content.decode()
    assert 'data-testid="exercise-sliding-window-attention"' in attention and COIN not in attention
    unsolved = client_a.get(reverse("exercises") + "?solved=no&difficulty=medium").content.decode()
    assert COIN not in unsolved


@pytest.mark.django_db
def test_a_submission_whose_worker_stopped_heartbeating_is_judged_again_once_then_ends_ie(user, coin):
    import datetime as dt

    from django.utils import timezone

    silent = timezone.now() - dt.timedelta(seconds=30)  # past the 20 s stale window, far below the old 300 s
    s = Submission.objects.create(user=user, exercise=coin, source="x", status="running", attempt=1,
                                  started_at=silent, heartbeat_at=silent)
    assert services.submissions_reap_stale()["submissions_retried"] == 1
    s.refresh_from_db()
    assert s.status == "queued" and s.deliveries == 1
    Submission.objects.filter(id=s.id).update(status="running", attempt=2, heartbeat_at=silent)
    assert services.submissions_reap_stale()["submissions_failed"] == 1
    s.refresh_from_db()
    assert s.status == "done" and s.verdict == "IE" and "中断" in s.message


@pytest.mark.django_db
def test_a_queued_submission_whose_message_was_lost_is_resent_then_ended_with_a_message(user, coin, settings):
    import datetime as dt

    from django.utils import timezone

    old = timezone.now() - dt.timedelta(seconds=settings.JUDGE_REQUEUE_AFTER_S + 5)
    s = Submission.objects.create(user=user, exercise=coin, source="x", status="queued", enqueued_at=old,
                                  deliveries=1)
    assert services.submissions_reap_stale()["submissions_resent"] == 1
    s.refresh_from_db()
    assert s.status == "queued" and s.deliveries == 2 and s.enqueued_at > old
    Submission.objects.filter(id=s.id).update(enqueued_at=old, deliveries=settings.JUDGE_MAX_DELIVERIES)
    assert services.submissions_reap_stale()["submissions_lost"] == 1
    s.refresh_from_db()
    assert s.status == "done" and s.verdict == "IE" and "重新提交" in s.message


@pytest.mark.worker
def test_submit_through_the_web_is_judged_by_a_real_worker(client, celery_worker_process, make_user, plan_content):
    client.force_login(make_user("dave"))
    response = client.post(reverse("submit", args=[COIN]), {"source": reference(COIN), "mode": "submit"},
                           HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in response.content.decode()  # the page polls until the verdict
    submission = Submission.objects.latest("id")
    judged = wait_done(submission.id)
    assert judged.verdict == "AC"
    fragment = client.get(reverse("submission_status", args=[submission.id])).content.decode()
    assert 'data-testid="verdict">AC' in fragment and "every 1s" not in fragment  # polling stops
    hostile = client.post(reverse("submit", args=[COIN]), {"source": "import os\nos.kill(os.getppid(), 9)\n"
                                                           "def coin_change(c, a):\n    return 0\n"},
                          HTTP_HX_REQUEST="true")
    assert hostile.status_code == 200
    assert wait_done(Submission.objects.latest("id").id).verdict != "AC"
    again = client.post(reverse("submit", args=[COIN]), {"source": reference(COIN)}, HTTP_HX_REQUEST="true")
    assert again.status_code == 200 and wait_done(Submission.objects.latest("id").id).verdict == "AC"


@pytest.mark.browser
@pytest.mark.worker
def test_browser_submits_and_sees_ac_without_reloading(page, live_server, celery_worker_process, make_user,
                                                       plan_content):
    make_user("erin", password="Erin-pass-123")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "erin")
    page.fill("input[name=password]", "Erin-pass-123")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/practice/{COIN}/")
    page.evaluate("window.__marker = 'same-page'")
    page.fill("[data-testid=editor]", reference(COIN))
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=verdict]", timeout=60_000)
    assert page.inner_text("[data-testid=verdict]") == "AC"
    assert page.evaluate("window.__marker") == "same-page"  # no reload happened
    page.screenshot(path=str(ROOT / "var" / "screenshot-practice.png"), full_page=True)
