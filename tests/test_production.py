"""The site started as the Dockerfile and compose.yaml start it: DEBUG=0, a random key, collectstatic with the
production storage, migrate + load_content, gunicorn. Every page a learner visits answers 200 with its
content, logged out and logged in, and its static files are served under their hashed names."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import requests

from gpu_runner.process.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow



@pytest.fixture(scope="module")
def production_site(tmp_path_factory):
    name = f"dd_prod_{os.getpid()}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    tmp = tmp_path_factory.mktemp("prod")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEPLOYDOJO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}", ALLOWED_HOSTS="127.0.0.1,localhost",
        CSRF_TRUSTED_ORIGINS=f"http://127.0.0.1:{port}", DEPLOYDOJO_HTTPS="0",
        DEPLOYDOJO_STATIC_ROOT=str(tmp / "static"), DEPLOYDOJO_VAR_DIR=str(tmp / "var"),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/13", CELERY_RESULT_BACKEND="redis://127.0.0.1:6379/13",
        DJANGO_SUPERUSER_PASSWORD="prod-pass-4321", DJANGO_SUPERUSER_USERNAME="carol",
        DJANGO_SUPERUSER_EMAIL="carol@example.com",
    )
    manage = [sys.executable, "manage.py"]
    for step in (["collectstatic", "--noinput", "-v0"], ["migrate", "--noinput", "-v0"], ["load_content", "-v0"],
                 ["createsuperuser", "--noinput"]):
        done = subprocess.run(manage + step, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{step}: {done.stderr[-2000:]}"
    log = open(tmp / "gunicorn.log", "w")
    server = subprocess.Popen([str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                break
        except (requests.ConnectionError, requests.Timeout):
            pass  # still starting, or a loaded machine
        assert server.poll() is None and time.monotonic() < deadline, (tmp / "gunicorn.log").read_text()[-3000:]
        time.sleep(0.3)
    yield base, tmp
    server.terminate()
    server.wait(timeout=20)
    log.close()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def _get_ok(session: requests.Session, base: str, path: str, expect: str) -> str:
    response = session.get(base + path, timeout=30)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:500]}"
    assert expect in response.text, f"{path}: {expect!r} not on the page"
    assert "Content-Security-Policy" in response.headers
    return response.text


def test_health_probe_checks_the_static_manifest(production_site):
    base, _tmp = production_site
    # The compose probe's Host is the container's own address, not in ALLOWED_HOSTS on a real server.
    response = requests.get(base + "/healthz", headers={"Host": "10.0.0.7:8000"}, timeout=5)
    assert response.status_code == 200
    assert re.search(r"css /static/css/dojo\.[0-9a-f]{12}\.css", response.text), response.text


def test_pages_answer_200_logged_out_with_hashed_static_files(production_site):
    base, _tmp = production_site
    session = requests.Session()
    for path, expect in (("/", "部署道场"), ("/accounts/login/", "csrfmiddlewaretoken"),
                         ("/accounts/signup/", "csrfmiddlewaretoken")):
        html = _get_ok(session, base, path, expect)
        assets = _assets(html)
        assert any(re.search(r"/static/css/dojo\.[0-9a-f]{12}\.css", a) for a in assets), assets
        for asset in assets:
            got = session.get(base + asset, timeout=10)
            assert got.status_code == 200 and got.content, asset
    katex = session.get(base + "/static/vendor/katex/katex.min.css", timeout=10).text
    for font in re.findall(r"url\(([^)]+)\)", katex):
        assert session.get(base + "/static/vendor/katex/" + font, timeout=10).status_code == 200, font


def test_every_page_a_learner_visits_answers_200_logged_in(production_site):
    base, _tmp = production_site
    session = requests.Session()
    login = session.get(base + "/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    done = session.post(base + "/accounts/login/", data={"username": "carol", "password": "prod-pass-4321",
                                                         "csrfmiddlewaretoken": token},
                        headers={"Referer": base + "/accounts/login/"}, timeout=10)
    assert done.status_code == 200 and "/accounts/logout/" in done.text or "logout" in done.text
    plan = _get_ok(session, base, "/plan/", "phase-1")
    phase = re.search(r'href="(/plan/phase-[^"/]+/)"', plan).group(1)
    phase_html = _get_ok(session, base, phase, "/tasks/")
    task = re.search(r'href="(/tasks/[^"/]+/)"', phase_html).group(1)
    practice = _get_ok(session, base, "/practice/", "/practice/")
    exercise = re.search(r'href="(/practice/(?!history)[a-z0-9-]+/)"', practice).group(1)
    kb = _get_ok(session, base, "/kb/", "/kb/")
    article = re.search(r'href="(/kb/[a-z0-9-]+/)"', kb).group(1)
    labs = _get_ok(session, base, "/labs/", "/labs/new/")
    lab_new = re.search(r'href="(/labs/new/[a-z0-9-]+/)"', labs).group(1)
    pages = [("/dashboard/", "/plan/"), (phase, "/tasks/"), (task, "csrf"),
             ("/resources/", "http"), (exercise, "def "), ("/practice/history/", "/practice/"), (article, "<h"),
             ("/search/?q=%E9%87%8F%E5%8C%96", "<mark>"), ("/checklist/", "/review/"), ("/review/", "review"),
             (lab_new, "csrf"), ("/record/import/", "csrf"), ("/accounts/password_change/", "csrf"),
             ("/planner/", 'data-testid="planner-gpus"'), ("/kb/continuous-batching/", "--cb-num-blocks")]
    for path, expect in pages:
        html = _get_ok(session, base, path, expect)
        for asset in _assets(html):
            assert session.get(base + asset, timeout=10).status_code == 200, f"{path}: {asset}"
    export = session.get(base + "/record/export/", timeout=30)
    assert export.status_code == 200 and export.json()
