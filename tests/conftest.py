"""Shared fixtures: users, loaded content, a real Celery worker process, headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import ContentSnapshot, load_real_content, purge_queues, worker_env

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
# Under pytest-xdist the workers already keep every core busy: a torch (OpenMP) or OpenBLAS pool as wide as the
# machine in each of them only spins against the others (measured: a real-runner test took 91 s of wall time and 82 s
# of CPU beside one busy core, 39 s and 30 s with one thread, the same as on an idle machine). Each worker's share of
# the cores, for this process and every runner, server and child it starts; set before anything imports torch.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT", "").isdigit():
    _threads = str(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))
    for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_name, _threads)
CHROMIUM = os.environ.get("CHROMIUM_PATH", shutil.which("chromium") or "/usr/bin/chromium")


_content: dict = {}  # the session's ContentSnapshot and the DB blocker that lets a hook restore it
# Where this process's Celery app sends tasks: Celery reads these variables before its own configuration, so a test
# that changes one and leaves it changed sends every later test's tasks somewhere no worker listens (seen under
# pytest-xdist: a real runner waited 25 minutes for jobs that went to a test's SQLite broker file). Read at the
# first test, once the test settings have run (under pytest-xdist they move these variables to the worker's shard).
_BROKER_VARS: dict[str, str | None] = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load content/ once per session; tests run in transactions that roll back on top of it. A transactional test
    (live server, real workers) flushes every table when it ends: the next test that needs the content gets it back
    from a snapshot taken here (pytest_runtest_setup below), so no test depends on the order tests run in."""
    with django_db_blocker.unblock():
        load_real_content()
        _content.update(snapshot=ContentSnapshot(), blocker=django_db_blocker)


def _needs_content(item) -> bool:
    """A DB test runs on the loaded content, except a transactional one that does not ask for it (`plan_content`):
    those (real workers and runners, mostly) start on whatever the last flush left, which is an empty database."""
    names = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    if "plan_content" in names:
        return True
    if "transactional_db" in names or "live_server" in names or (marker and marker.kwargs.get("transaction")):
        return False
    return "_django_db_helper" in names or "db" in names or marker is not None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if not _BROKER_VARS:
        from django.conf import settings

        assert settings.CELERY_BROKER_URL  # the test settings (and their xdist sharding) have run
        _BROKER_VARS.update({name: os.environ.get(name) for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")})
    if _content and _needs_content(item):
        with _content["blocker"].unblock():
            if not ContentSnapshot.present():
                _content["snapshot"].restore()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    if not _BROKER_VARS:
        return result
    changed = [name for name, value in _BROKER_VARS.items() if os.environ.get(name) != value]
    for name in changed:
        if _BROKER_VARS[name] is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = _BROKER_VARS[name]
    if changed:
        raise AssertionError(f"{item.nodeid} left {', '.join(changed)} changed (restored now): use monkeypatch")
    return result


@pytest.fixture
def plan_content(db):
    """The real content/ loaded into the test database (restored before the test: see django_db_setup)."""
    assert ContentSnapshot.present(), "content was not restored after a transactional test"


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

