"""Test settings: the real PostgreSQL and Redis at their local default addresses (overridable by environment)."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/deploydojo")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/14")
os.environ.setdefault("DEPLOYDOJO_VAR_DIR", "/tmp/deploydojo-test-var")
# The production cache backend (Redis), shared with the worker processes tests start (they inherit it).
os.environ.setdefault("CACHE_URL", os.environ["CELERY_BROKER_URL"])

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast user creation in tests
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
