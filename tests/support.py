"""Helpers the test modules and conftest share (a worker's environment, purging broker queues). Test modules
import them from here, never from conftest.py or from each other: pytest imports conftest.py itself, and a
test module imported by another runs its module-level code twice."""

from __future__ import annotations

import os


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


def browser_login(page, live_server, username: str = "alice", password: str = "s3cret-pass-123") -> None:
    """Log in through the real login form (the `user` fixture's credentials by default)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url("**/dashboard/")
