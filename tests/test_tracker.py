"""Tracker pages: login required, own data only, htmx status changes, schedule, notes, language switch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tracker.models import Phase, Profile, Status, StatusChange, Task, TaskProgress
from tracker.services import plan_progress, task_set_status

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name, args", [("dashboard", []), ("plan", []), ("resources", []),
                                        ("phase", ["phase-1"]), ("password_change", [])])
def test_anonymous_is_redirected_to_login(client, plan_content, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login")) and "next=" in response["Location"]


def test_landing_is_public_and_lists_the_phases(client, plan_content):
    response = client.get("/")
    assert response.status_code == 200
    assert "基础部署与Qwen官方教程实操" in response.content.decode()


def test_signup_logs_in_and_lands_on_the_plan(client, plan_content):
    response = client.post(reverse("signup"), {"username": "carol", "password1": "Zx9!long-pass",
                                               "password2": "Zx9!long-pass"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("plan")
    assert response.context["user"].username == "carol"


def test_login_then_dashboard_shows_progress(client, plan_content, user):
    response = client.post(reverse("login"), {"username": "alice", "password": "s3cret-pass-123"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert 'data-testid="overall-pct">0%' in response.content.decode()


def test_change_password(client_a, user):
    response = client_a.post(reverse("password_change"), {"old_password": "s3cret-pass-123",
                                                           "new_password1": "N3w-long-passw0rd",
                                                           "new_password2": "N3w-long-passw0rd"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("N3w-long-passw0rd")


def test_htmx_status_change_returns_the_widget_and_the_moved_bar(client_a, user, plan_content):
    task = Task.objects.filter(phase__slug="phase-1").first()
    response = client_a.post(reverse("task_status", args=[task.slug]), {"status": "done"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="status-{task.slug}"' in html and 'data-status="done"' in html
    total = task.phase.tasks.live().count()
    assert 'hx-swap-oob="true"' in html and f"1/{total}" in html
    assert TaskProgress.objects.get(user=user, task=task).status == Status.DONE
    change = StatusChange.objects.get(user=user, task=task)
    assert (change.old, change.new) == (Status.TODO, Status.DONE)


def test_unknown_status_is_rejected(client_a, plan_content):
    task = Task.objects.first()
    response = client_a.post(reverse("task_status", args=[task.slug]), {"status": "finished"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400


def test_done_and_skipped_count_as_complete_doing_apart(user, plan_content):
    tasks = list(Task.objects.filter(phase__slug="phase-2"))
    task_set_status(user=user, task=tasks[0], status=Status.DONE)
    task_set_status(user=user, task=tasks[1], status=Status.SKIP)
    task_set_status(user=user, task=tasks[2], status=Status.DOING)
    phase = next(p for p in plan_progress(user).phases if p.phase.slug == "phase-2")
    assert (phase.complete, phase.doing, phase.total) == (2, 1, len(tasks))
    assert phase.pct == round(200 / len(tasks))


def test_users_do_not_see_each_others_progress(client, user, other_user, plan_content):
    task = Task.objects.first()
    progress = task_set_status(user=other_user, task=task, status=Status.DONE)
    client.force_login(user)
    assert client.get(reverse("progress", args=[progress.pk])).status_code == 404
    page = client.get(reverse("phase", args=[task.phase.slug])).content.decode()
    assert f'data-testid="status-{task.slug}" data-status="todo"' in page
    client.force_login(other_user)
    assert client.get(reverse("progress", args=[progress.pk])).status_code == 302


def test_notes_are_rendered_sanitised(client_a, user, plan_content):
    task = Task.objects.first()
    client_a.post(reverse("task_notes", args=[task.slug]),
                  {"notes": "**量化** 笔记 <script>alert(1)</script> [x](javascript:alert(2))"})
    html = client_a.get(reverse("task", args=[task.slug])).content.decode()
    rendered = html.split('data-testid="notes-rendered">', 1)[1].split("</div>", 1)[0]
    assert "<strong>量化</strong>" in rendered
    assert "<script" not in rendered and "javascript:" not in rendered
    assert "<script>alert(1)" not in html


def test_schedule_marks_phases_ahead_on_track_behind(user, plan_content):
    today = dt.date(2026, 6, 1)
    Profile.objects.create(user=user, start_date=today - dt.timedelta(weeks=8))  # phase 1 window is over
    progress = plan_progress(user, today=today)
    phase1 = progress.phases[0]
    assert phase1.expected_pct == 100 and phase1.schedule == "behind"
    for task in Task.objects.filter(phase__slug="phase-1"):
        task_set_status(user=user, task=task, status=Status.DONE)
    phase1, _phase2, phase3 = plan_progress(user, today=today).phases[:3]
    assert phase1.schedule == "on-track"
    assert phase3.expected_pct == 0 and phase3.schedule == "not-started"  # its window opens in week 20
    for task in Task.objects.filter(phase__slug="phase-3")[:3]:
        task_set_status(user=user, task=task, status=Status.DONE)
    assert plan_progress(user, today=today).phases[2].schedule == "ahead"


def test_setting_the_start_date_shows_phase_windows(client_a, user, plan_content):
    client_a.post(reverse("schedule"), {"start_date": "2026-09-01"})
    assert Profile.objects.get(user=user).start_date == dt.date(2026, 9, 1)
    html = client_a.get(reverse("plan")).content.decode()
    p2 = Phase.objects.get(slug="phase-2")
    begin = dt.date(2026, 9, 1) + dt.timedelta(weeks=p2.start_week)
    assert begin.isoformat() in html


def test_resources_filter_by_type_and_phase_and_link_tasks(client_a, plan_content):
    html = client_a.get(reverse("resources") + "?type=book").content.decode()
    assert "CUDA" in html
    assert "data-testid=\"resource-" in html
    books = html.count('data-testid="resource-')
    everything = client_a.get(reverse("resources")).content.decode().count('data-testid="resource-')
    assert 0 < books < everything


def test_language_switch_to_english_and_back(client_a, plan_content):
    response = client_a.post(reverse("set_language"), {"language": "en", "next": reverse("plan")}, follow=True)
    html = response.content.decode()
    assert "Basic deployment" in html or Phase.objects.get(slug="phase-1").title_en in html
    assert "Dashboard" in html and "学习计划：" not in html
    response = client_a.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("plan")}, follow=True)
    assert "学习计划：从零到大模型部署工程师" in response.content.decode()


def test_admin_lists_every_content_model(admin_client, plan_content):
    for model in ("phase", "section", "task", "resource", "skill", "plannote"):
        assert admin_client.get(f"/admin/tracker/{model}/").status_code == 200


def test_english_catalogue_is_complete_and_compiled():
    import shutil
    import subprocess
    from pathlib import Path

    po = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext (msgfmt) is installed by .ci/run"
    out = subprocess.run([msgfmt, "--check", "--statistics", str(po), "-o", "/dev/null"], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert "untranslated" not in out.stderr and "fuzzy" not in out.stderr, out.stderr
    assert po.with_suffix(".mo").stat().st_mtime >= po.stat().st_mtime - 1, "run compilemessages"
