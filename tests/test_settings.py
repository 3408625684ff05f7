"""Every setting is parsed once, strictly, in config/settings.py: a bad value stops the start with the variable
named, and what the Celery app uses comes from there (no second reading of the environment)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(**env: str) -> subprocess.CompletedProcess:
    code = ("import django; django.setup(); from django.conf import settings; from config.celery import app; "
            "print(settings.REAPER_INTERVAL_S, app.conf.beat_schedule['reap-stale-lab-jobs']['schedule'], "
            "settings.DATABASES['default']['CONN_MAX_AGE'], ' '.join(settings.SITE_QUEUES))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env})


def test_the_celery_app_takes_the_reaper_interval_and_queues_from_settings():
    out = start(REAPER_INTERVAL_S="7", DB_CONN_MAX_AGE="0")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["7", "7", "0", "celery", "judge", "lab.cpu", "lab.cuda", "lab.vllm"]


@pytest.mark.parametrize("name, value, says", [
    ("REAPER_INTERVAL_S", "ten", "REAPER_INTERVAL_S='ten' is not an integer"),
    ("REAPER_INTERVAL_S", "0", "REAPER_INTERVAL_S=0 is below its minimum 1"),
    ("DB_CONN_MAX_AGE", "1.5", "DB_CONN_MAX_AGE='1.5' is not an integer"),
    ("CELERY_VISIBILITY_TIMEOUT", "100", "must be above CELERY_TASK_TIME_LIMIT=150"),
])
def test_a_bad_value_stops_the_start_naming_the_variable(name, value, says):
    out = start(**{name: value})
    assert out.returncode != 0 and says in out.stderr and "ImproperlyConfigured" in out.stderr
