"""The public portfolio (issue 9 §7): off by default; published at an unguessable /p/<token>/ that anyone can read
without logging in — measured lab figures with the runner's hardware, solved exercises by skill, plan progress;
revoking makes the link 404 and publishing again draws a new one; nothing private (notes, sources, job
parameters, logs, runner tokens, hostnames, e-mail) is on the page, and one user's link never shows another's."""

from __future__ import annotations

import json
import secrets

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from knowledge.models import ChecklistItem
from labs.models import LabJob, Runner
from practice.models import Exercise, Submission
from tests.support import LAB_RESULTS, runner_system_info
from tracker.models import Profile, Status, Task
from tracker.services import plan_progress, task_set_notes, task_set_status

pytestmark = pytest.mark.django_db

RESULTS = LAB_RESULTS
SYSTEM = {k: v for k, v in runner_system_info().items() if k != "hostname"}  # the leak test adds its own
# One distinctive string per private thing a learner's record holds; none may reach the public page.
MARKERS = {
    "task note": "LEAK-task-note-4e1f",
    "submitted source": "LEAK-submitted-source-9b2c",
    "lab job source file": "LEAK-cpp-source-77aa",
    "lab job archive": "LEAK-archive-b64-31d0",
    "lab job parameter": "LEAK-param-model-5c5c",
    "log tail": "LEAK-log-tail-0e0e",
    "job error": "LEAK-job-error-6a6a",
    "job stage": "LEAK-stage-1212",
    "compiler message in the result": "LEAK-compiler-message-8d8d",
    "hostname": "LEAK-hostname-gpu-box",
    "unknown system-info key": "LEAK-extra-system-key",
    "runner name": "LEAK-runner-name-3f3f",
    "e-mail": "leak-alice@example.org",
    "own checklist question": "LEAK-checklist-question-2b2b",
}


def result_data(name: str) -> dict:
    return json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))


def make_job(user, lab: str, result: dict, **extra) -> LabJob:
    return LabJob.objects.create(user=user, lab=lab, queue="lab.cuda", status=LabJob.Status.SUCCEEDED, result=result,
                                 system_info=extra.pop("system_info", SYSTEM), progress=100,
                                 finished_at=timezone.now(), **extra)


def solve(user, exercise: Exercise, source: str = "def f(): pass") -> Submission:
    return Submission.objects.create(user=user, exercise=exercise, mode=Submission.Mode.SUBMIT, source=source,
                                     status=Submission.Status.DONE, verdict="AC", passed=1, total=1)


def publish(client) -> str:
    response = client.post(reverse("portfolio_publish"))
    assert response.status_code == 302
    token = Profile.objects.get(user=response.wsgi_request.user).portfolio_token
    assert token
    return token


def public(token: str, lang: str | None = None):
    visitor = Client()  # logged out
    if lang:
        visitor.cookies["django_language"] = lang
    return visitor.get(reverse("portfolio_public", args=[token]))


@pytest.fixture
def exercise(plan_content) -> Exercise:
    return Exercise.objects.live().filter(skills__isnull=False).order_by("order", "slug").first()


def test_the_portfolio_is_off_by_default_and_a_guessed_link_is_404(client_a, user, plan_content):
    response = client_a.get(reverse("portfolio_settings"))
    assert response.status_code == 200 and 'data-testid="portfolio-publish"' in response.content.decode()
    assert Profile.objects.get(user=user).portfolio_token is None
    assert public(secrets.token_urlsafe(24)).status_code == 404


def test_a_published_portfolio_shows_lab_figures_gpu_solved_exercises_and_progress_logged_out(
        client_a, user, exercise):
    make_job(user, "quant-inference", result_data("quant-inference"))
    solve(user, exercise)
    for task in Task.objects.live().order_by("phase__order", "section__number", "order")[:3]:
        task_set_status(user=user, task=task, status=Status.DONE)
    token = publish(client_a)
    assert len(token) >= 32

    response = public(token)
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex" and response["Referrer-Policy"] == "same-origin"
    html = response.content.decode()
    assert "alice 的学习档案" in html
    lab = html.split('data-testid="portfolio-lab-quant-inference"')[1]
    assert "18.26 tok/s" in lab and "4.21 tok/s" in lab  # fp32 and int8 decode speed from the real result
    assert 'data-testid="lab-evidence">fp32: 18.3 tok/s' in lab
    assert "<td>NVIDIA H200</td>" in lab and "139.7 GiB" in lab and "<td>9.0</td>" in lab and "570.124.06" in lab
    assert "AMD EPYC 7763 64-Core Processor" in lab and "128.0 GiB" in lab
    assert '<th scope="row">torch</th><td>2.13.0</td>' in lab
    solved = html.split('data-testid="portfolio-solved"')[1]
    skill = exercise.skills.order_by("order").first()
    assert skill.display_title in solved and exercise.display_title in solved
    progress = plan_progress(user)
    assert progress.pct > 0 and f'data-testid="overall-pct">{progress.pct}%' in html
    first = progress.phases[0]
    assert first.complete == 3
    assert f'data-testid="barlabel-{first.phase.slug}">3/{first.total} 完成（{first.pct}%）' in html


def test_the_public_page_runs_the_same_number_of_queries_however_long_the_record(client_a, user, plan_content,
                                                                                 django_assert_num_queries):
    exercises = list(Exercise.objects.live().filter(skills__isnull=False).order_by("order", "slug")[:6])
    make_job(user, "quant-inference", result_data("quant-inference"))
    solve(user, exercises[0])
    token = publish(client_a)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert public(token).status_code == 200
    for name in ("vllm-batch", "finetune", "long-context", "serving-bench", "quant-inference"):
        make_job(user, name, result_data(name))
    for exercise in exercises[1:]:
        solve(user, exercise)
    with django_assert_num_queries(len(small.captured_queries)):
        html = public(token).content.decode()
    assert html.count('data-testid="portfolio-lab-') == 5 and "成功运行 2 次" in html


def test_the_public_page_follows_the_visitors_language(client_a, user, plan_content):
    token = publish(client_a)
    assert "alice 的学习档案" in public(token).content.decode()
    english = public(token, "en").content.decode()
    assert "alice’s learning portfolio" in english and "Measured lab results" in english


def test_revoking_makes_the_link_404_and_publishing_again_gives_a_new_token(client_a, user, plan_content):
    first = publish(client_a)
    assert public(first).status_code == 200
    response = client_a.post(reverse("portfolio_revoke"), follow=True)
    assert 'data-testid="portfolio-publish"' in response.content.decode()
    assert public(first).status_code == 404
    second = publish(client_a)
    assert second != first
    assert public(second).status_code == 200 and public(first).status_code == 404
    third = publish(client_a)  # "new link" while published: the previous one stops working
    assert third != second and public(second).status_code == 404 and public(third).status_code == 200


def test_a_deactivated_accounts_portfolio_is_404(client_a, user, plan_content):
    token = publish(client_a)
    user.is_active = False
    user.save()
    assert public(token).status_code == 404


def test_the_settings_page_shows_the_link_once_published(client_a, user, plan_content):
    token = publish(client_a)
    html = client_a.get(reverse("portfolio_settings")).content.decode()
    assert f"/p/{token}/" in html and 'data-testid="portfolio-revoke"' in html


def test_nothing_private_reaches_the_public_page(client_a, user, exercise):
    user.email = MARKERS["e-mail"]
    user.save()
    task = Task.objects.live().first()
    task_set_status(user=user, task=task, status=Status.DONE)
    task_set_notes(user=user, task=task, notes=MARKERS["task note"])
    solve(user, exercise, source=f"def f():  # {MARKERS['submitted source']}\n    pass\n")
    runner, runner_token = Runner.create_with_token(owner=user, name=MARKERS["runner name"])
    system = {**SYSTEM, "hostname": MARKERS["hostname"], "home": MARKERS["unknown system-info key"]}
    make_job(user, "quant-inference", result_data("quant-inference"), runner=runner, target=runner,
             system_info=system, params={"model": MARKERS["lab job parameter"]}, log_tail=MARKERS["log tail"],
             error=MARKERS["job error"], stage=MARKERS["job stage"])
    cpp = {**result_data("cpp-tokenizer-ok"), "message": MARKERS["compiler message in the result"]}
    make_job(user, "cpp-tokenizer", cpp, runner=runner, system_info=system, log_tail=MARKERS["log tail"],
             params={"files": {"tokenizer.cpp": MARKERS["lab job source file"]},
                     "archive_b64": MARKERS["lab job archive"]})
    ChecklistItem.objects.create(key=ChecklistItem.new_user_key(), source=ChecklistItem.Source.USER, user=user,
                                 prompt=MARKERS["own checklist question"])
    token = publish(client_a)

    for lang in ("zh-hans", "en"):
        html = public(token, lang).content.decode()
        assert "NVIDIA H200" in html and ("Exact match" if lang == "en" else "完全一致率") in html  # both jobs rendered
        leaked = [what for what, marker in MARKERS.items() if marker in html]
        assert leaked == [], leaked
        assert runner_token not in html and runner.token_prefix not in html and runner.token_hash not in html


def test_another_users_link_never_shows_this_users_data(client_a, user, other_user, exercise):
    make_job(user, "quant-inference", result_data("quant-inference"))
    solve(user, exercise)
    publish(client_a)
    bob = Client()
    bob.force_login(other_user)
    bob_token = publish(bob)
    html = public(bob_token).content.decode()
    assert "bob 的学习档案" in html and "alice" not in html
    assert 'data-testid="portfolio-lab-' not in html and "18.26 tok/s" not in html
    assert exercise.display_title not in html.split('data-testid="portfolio-solved"')[1]


def test_publish_and_revoke_are_csrf_protected_posts(user, plan_content):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.post(reverse("portfolio_publish")).status_code == 403
    assert not Profile.objects.filter(user=user, portfolio_token__isnull=False).exists()
    assert browser.get(reverse("portfolio_publish")).status_code == 405
    Profile.objects.get_or_create(user=user)[0].publish_portfolio()
    assert browser.post(reverse("portfolio_revoke")).status_code == 403
    assert Profile.objects.get(user=user).portfolio_token
    assert browser.get(reverse("portfolio_revoke")).status_code == 405


def test_the_settings_page_needs_login(client, plan_content):
    response = client.post(reverse("portfolio_publish"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("portfolio_settings")).status_code == 302
