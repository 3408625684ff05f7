"""`manage.py import_record` as an admin runs it (a real process): a file no runner could have produced — a
result its lab's schema rejects, nesting past any record, a huge integer — ends with one line naming the
place, no traceback, nothing imported, and with --create-user no account left behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import lab_result, runner_system_info, worker_env

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def _record(**job) -> dict:
    row = {"lab": "cpp-tokenizer", "queue": "lab.cpu", "params": {}, "status": "succeeded", "attempt": 1,
           "result": lab_result("cpp-tokenizer-ok"), "error": "", "system_info": runner_system_info(),
           "created_at": "2026-03-01T10:00:00+00:00", "finished_at": "2026-03-01T10:05:00+00:00", **job}
    return {"format": "deploydojo-record", "version": 1, "profile": {"start_date": "2026-03-01"}, "tasks": [],
            "status_changes": [], "submissions": [], "lab_jobs": [row], "checklist_items": [],
            "review_cards": [], "review_logs": []}


def _import(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "import_record", str(path), *args], cwd=ROOT,
                          env=worker_env(), capture_output=True, text=True, timeout=120)


def _bad_result() -> str:
    record = _record()
    record["lab_jobs"][0]["result"]["status"] = "BOGUS"
    return json.dumps(record)


def _huge_ram() -> str:
    return json.dumps(_record()).replace('"ram_bytes": 137438953472', '"ram_bytes": 1' + "0" * 400)


def _deep() -> str:
    return json.dumps(_record()).replace('"params": {}', '"params": ' + "[" * 100_000 + "]" * 100_000)


def _nested_40() -> str:
    return json.dumps(_record()).replace('"params": {}', '"params": {"x": ' + "[" * 40 + "]" * 40 + "}")


@pytest.mark.parametrize("text, where", [
    (_bad_result, "lab_jobs/0/result/status"),
    (_huge_ram, "lab_jobs/0/system_info/ram_bytes: an integer of 401 digits"),
    (_deep, "line 1 column"),
    (_nested_40, "lab_jobs/0/params/x/0/0"),
], ids=["result its schema rejects", "400-digit RAM", "100,000 levels", "40 levels"])
def test_a_file_no_runner_could_produce_is_refused_in_one_line_and_leaves_no_account(tmp_path, text, where):
    from django.contrib.auth import get_user_model

    from labs.models import LabJob

    path = tmp_path / "record.json"
    path.write_text(text(), encoding="utf-8")
    done = _import(path, "--user", "mallory", "--create-user")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert where in done.stderr and "nothing was imported; no account 'mallory' was created" in done.stderr
    assert not get_user_model().objects.filter(username="mallory").exists()
    assert not LabJob.objects.exists()


def test_a_good_file_creates_the_account_and_imports(tmp_path):
    from django.contrib.auth import get_user_model

    from labs.models import LabJob

    path = tmp_path / "record.json"
    path.write_text(json.dumps(_record()), encoding="utf-8")
    done = _import(path, "--user", "mallory", "--create-user")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "account created" in done.stdout and "lab_jobs +1" in done.stdout
    assert LabJob.objects.get(user__username="mallory").status == "succeeded"
    assert get_user_model().objects.get(username="mallory").profile.start_date.isoformat() == "2026-03-01"
