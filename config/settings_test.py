"""Test settings: the real PostgreSQL and Redis at their local default addresses (overridable by environment)."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/deploydojo")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/14")
os.environ.setdefault("DEPLOYDOJO_VAR_DIR", "/tmp/deploydojo-test-var")
# The production cache backend (Redis), shared with the worker processes tests start (they inherit it).
os.environ.setdefault("CACHE_URL", os.environ["CELERY_BROKER_URL"])


def _shard(worker: str) -> None:
    """Under `pytest -n N` each xdist worker (gw0, gw1, ...) gets its own Redis databases and var directory
    (pytest-django already gives it its own test database): a Celery worker one shard starts must never take
    another shard's tasks. gwK moves each Redis URL's database number down by 2K (14 -> 12 -> 10 ...), clear of
    the fixed databases single tests use (3, 13, 15). Done once: the processes a test starts inherit both the
    moved URLs and the marker."""
    if os.environ.get("DEPLOYDOJO_TEST_SHARD") == worker:
        return
    k = int(worker.removeprefix("gw"))
    if k > 7:  # gw8 would land on gw0's databases (16 of them, two apart)
        raise RuntimeError(f"pytest -n: at most 8 workers share one Redis (this is {worker}); use -n 8 or fewer")
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL"):
        base, _, db = os.environ[name].rpartition("/")
        if base.startswith("redis://") and db.isdigit():
            os.environ[name] = f"{base}/{(int(db) - 2 * k) % 16}"
    os.environ["DEPLOYDOJO_VAR_DIR"] = f"{os.environ['DEPLOYDOJO_VAR_DIR']}-{worker}"
    os.environ["DEPLOYDOJO_TEST_SHARD"] = worker


if os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    _shard(os.environ["PYTEST_XDIST_WORKER"])

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast user creation in tests
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
