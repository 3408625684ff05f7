"""The abuse campaign's smaller findings: submit refusals that are not about pace answer 400 (not 429); a chunked
form body is refused (411) instead of read as empty; the record's download name survives a Chinese username
(RFC 5987 filename*); a visitor of a revoked portfolio link sees the product's 404 even under DEBUG."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from practice.models import Exercise, Submission
from tests.support import gunicorn_site as support_gunicorn_site
from tests.support import worker_env
from tracker.models import Profile, Task, TaskProgress
from tracker.services import task_set_notes

ROOT = Path(__file__).resolve().parent.parent
HTMX = {"HX-Request": "true"}


@pytest.fixture
def code_exercise(plan_content) -> Exercise:
    return Exercise.objects.live().exclude(kind=Exercise.Kind.NUMERIC).first()


@pytest.mark.django_db
@pytest.mark.parametrize("source, reason", [("", "代码为空"), ("   \n", "代码为空"), ("x = 1\x00", "NUL")])
def test_a_submission_that_cannot_be_one_is_a_400_with_the_reason_not_a_429(client_a, code_exercise, source,
                                                                             reason):
    response = client_a.post(reverse("submit", args=[code_exercise.slug]), {"source": source})
    assert response.status_code == 400 and reason in response.content.decode()
    in_place = client_a.post(reverse("submit", args=[code_exercise.slug]), {"source": source}, headers=HTMX)
    assert in_place.status_code == 200 and reason in in_place.content.decode()  # htmx swaps only 2xx
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_too_many_unfinished_submissions_is_still_a_429(client_a, user, code_exercise):
    for _ in range(settings.JUDGE_MAX_UNFINISHED):
        Submission.objects.create(user=user, exercise=code_exercise, source="x = 1", status="queued")
    response = client_a.post(reverse("submit", args=[code_exercise.slug]), {"source": "x = 1"})
    assert response.status_code == 429 and "排队或运行" in response.content.decode()


# ---- a chunked form body, through gunicorn as production serves it -----------------------------------------



@pytest.fixture
def gunicorn_site(transactional_db, tmp_path):
    yield from support_gunicorn_site(tmp_path, worker_env())


def _logged_in(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    done = session.post(f"{base}/accounts/login/", data={"csrfmiddlewaretoken": token, "username": username,
                                                         "password": password}, timeout=30)
    assert done.url.endswith("/dashboard/"), done.url
    return session


@pytest.mark.slow
def test_a_chunked_notes_post_is_refused_with_411_and_the_note_kept(gunicorn_site, plan_content, make_user):
    user = make_user("ivy")
    task = Task.objects.live().first()
    task_set_notes(user=user, task=task, notes="我的旧笔记")
    session = _logged_in(gunicorn_site, "ivy", "s3cret-pass-123")
    url = gunicorn_site + reverse("task_notes", args=[task.slug])
    headers = {"X-CSRFToken": session.cookies["csrftoken"], "Content-Type": "application/x-www-form-urlencoded"}
    body = iter([b"notes=", "新笔记".encode().hex().encode()])  # a generator: requests sends it chunked
    response = session.post(url, data=body, headers=headers, timeout=30, allow_redirects=False)
    assert response.status_code == 411 and "Content-Length" in response.text, response.text[:500]
    assert TaskProgress.objects.get(user=user, task=task).notes == "我的旧笔记"
    plain = session.post(url, data={"notes": "新笔记"}, headers={"X-CSRFToken": headers["X-CSRFToken"]}, timeout=30,
                         allow_redirects=False)
    assert plain.status_code == 302 and TaskProgress.objects.get(user=user, task=task).notes == "新笔记"


# ---- the record's download name --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["张三", "zoë.k"])
def test_a_non_ascii_username_gets_an_rfc_5987_download_name(client, make_user, username):
    client.force_login(make_user(username))
    header = client.get(reverse("record_export"))["Content-Disposition"]
    assert "=?utf-8?" not in header.lower()  # no RFC 2047 encoded-word, which browsers do not decode here
    assert header.isascii() and "filename*=UTF-8''deploydojo-" in header
    real = unquote(re.search(r"filename\*=UTF-8''([^;\s]+)", header).group(1))  # what a browser saves it as
    assert re.fullmatch(rf"deploydojo-{re.escape(username)}-\d{{4}}-\d\d-\d\d\.json", real)
    fallback = re.search(r'filename="([^"]+)"', header).group(1)  # for clients that read only filename
    assert fallback.startswith("deploydojo-") and fallback.endswith(".json")


@pytest.mark.django_db
def test_an_ascii_username_keeps_the_plain_download_name(client_a):
    header = client_a.get(reverse("record_export"))["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="deploydojo-alice-\d{4}-\d\d-\d\d\.json"', header)


# ---- a revoked portfolio link under DEBUG ----------------------------------------------------------------


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_a_revoked_portfolio_link_shows_the_products_404_even_under_debug(client, client_a, user, plan_content):
    client_a.post(reverse("portfolio_publish"))
    token = Profile.objects.get(user=user).portfolio_token
    client_a.post(reverse("portfolio_revoke"))
    client_a.logout()
    for path in (f"/p/{token}/", "/p/not a token/", f"/p/{token}/extra/"):
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 404 and 'data-testid="not-found"' in html, path
        assert "URLconf" not in html and "portfolio_public" not in html, path
    api = client.post("/api/runner/jobs/999999/start", content_type="application/json", data={})
    assert api["Content-Type"].startswith("application/json")  # the runner API keeps its JSON answers
