"""Shared fixtures: users, loaded content, a real Celery worker process, headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
CHROMIUM = os.environ.get("CHROMIUM_PATH", shutil.which("chromium") or "/usr/bin/chromium")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load content/ once per session; tests run in transactions that roll back on top of it."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("load_content", verbosity=0, stdout=open(os.devnull, "w"))


@pytest.fixture
def plan_content(db):
    """The real content/ loaded into the test database (reloaded after transactional tests flush it)."""
    from django.core.management import call_command

    from tracker.models import Phase

    if not Phase.objects.exists():
        call_command("load_content", verbosity=0, stdout=open(os.devnull, "w"))


@pytest.fixture
def make_user(django_user_model):
    counter = iter(range(1, 10_000))

    def make(username: str | None = None, password: str = "s3cret-pass-123"):
        name = username or f"user{next(counter)}"
        return django_user_model.objects.create_user(username=name, password=password)

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice")


@pytest.fixture
def other_user(make_user):
    return make_user("bob")


@pytest.fixture
def client_a(client, user):
    client.force_login(user)
    return client


def worker_env() -> dict[str, str]:
    """Environment for a worker process that talks to the *test* database pytest-django created."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
    }


def purge_queues(queues: list[str]) -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        for q in queues:
            try:
                conn.default_channel.queue_purge(q)
            except Exception:  # noqa: BLE001 - a queue that does not exist yet has nothing to purge
                pass


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real `celery worker` process on Redis consuming the site's queues, stopped after the test."""
    purge_queues(["celery", "judge"])
    log = open(ROOT / "var" / "test-worker.log", "w") if (ROOT / "var").exists() else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "celery,judge", "-c", "2",
         "-l", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"test-{os.getpid()}@%h"],
        cwd=ROOT, env=worker_env(), stdout=log, stderr=subprocess.STDOUT,
    )
    from config.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("celery worker exited at start; see var/test-worker.log")
        replies = app.control.ping(timeout=1.0)
        if any(f"test-{os.getpid()}@" in name for r in replies for name in r):
            break
    else:
        proc.terminate()
        raise RuntimeError("celery worker did not answer ping within 60 s")
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (see .ci/run)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def browser_login(page, live_server, username: str = "alice", password: str = "s3cret-pass-123") -> None:
    """Log in through the real login form (the `user` fixture's credentials by default)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url("**/dashboard/")
