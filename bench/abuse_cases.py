"""The abuse campaign's findings (issue 17), each tried again the way it was found, for bench/faults.py: a case
holds when the site refuses it with a message (or survives it) and stores nothing. Add a case by writing a
function that takes the Site and returns (held, detail), and listing it in CASES.

Runs inside faults.py's process, on its throwaway database (Django already set up), through the Django test
client, a real gunicorn (what production serves with) and real `manage.py` processes."""

from __future__ import annotations

import datetime as dt
import http.client
import io
import json
import re
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
CPP_RESULT = ROOT / "tests" / "data" / "lab_results" / "cpp-tokenizer-ok.json"


@dataclass
class Site:
    gunicorn: str  # http://127.0.0.1:<port>
    make_user: object  # (username) -> User


def _client(user=None, language: str | None = None):
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    if language:
        client.cookies["django_language"] = language
    return client


def _record(**job) -> dict:
    row = {"lab": "cpp-tokenizer", "queue": "lab.cpu", "params": {}, "status": "succeeded", "attempt": 1,
           "result": json.loads(CPP_RESULT.read_text(encoding="utf-8")), "error": "",
           "system_info": {"ram_bytes": 1 << 37}, "created_at": "2026-03-01T10:00:00+00:00",
           "finished_at": "2026-03-01T10:05:00+00:00", **job}
    return {"format": "deploydojo-record", "version": 1, "profile": {}, "tasks": [], "status_changes": [],
            "submissions": [], "lab_jobs": [row], "checklist_items": [], "review_cards": [], "review_logs": []}


def _upload(client, text: str):
    upload = io.BytesIO(text.encode())
    upload.name = "record.json"
    return client.post(reverse("record_import"), {"file": upload})


# ---- item 3: a start date the schedule cannot compute --------------------------------------------------------


def start_date_9999_refused(site: Site) -> tuple[bool, str]:
    from tracker.models import Profile

    user = site.make_user("abuse-date")
    response = _client(user).post(reverse("schedule"), {"start_date": "9999-12-31"})
    stored = Profile.objects.filter(user=user, start_date__isnull=False).exists()
    at_field = 'data-testid="start-date-error"' in response.content.decode()
    return response.status_code == 400 and at_field and not stored, f"{response.status_code}, at field {at_field}"


def stored_start_9999_breaks_no_page(site: Site) -> tuple[bool, str]:
    from tracker.models import Phase, Profile

    user = site.make_user("abuse-date-row")
    Profile.objects.create(user=user, start_date=dt.date(9999, 12, 31))
    client = _client(user)
    paths = [reverse("plan"), reverse("dashboard")] + [reverse("phase", args=[p.slug]) for p in Phase.objects.live()]
    codes = {path: client.get(path).status_code for path in paths}
    bad = {p: c for p, c in codes.items() if c != 200}
    return not bad, f"{len(paths)} pages, not 200: {bad or 'none'}"


# ---- item 5: the zh date input ---------------------------------------------------------------------------------


def zh_start_date_saved_twice_keeps_the_schedule(site: Site) -> tuple[bool, str]:
    from tracker.models import Profile

    user = site.make_user("abuse-zh-date")
    client = _client(user, "zh-hans")
    client.post(reverse("schedule"), {"start_date": "2026-12-01"})
    shown = ""
    for _ in range(2):
        field = re.search(r'<input type="date" name="start_date"[^>]*>', client.get(reverse("plan")).content.decode())
        value = re.search(r'value="([^"]*)"', field.group(0)) if field else None
        shown = value.group(1) if value else ""
        client.post(reverse("schedule"), {"start_date": shown})
    kept = Profile.objects.get(user=user).start_date == dt.date(2026, 12, 1)
    return kept and shown == "2026-12-01", f"shown {shown!r}, kept {kept}"


# ---- item 4: record imports ------------------------------------------------------------------------------------


def _import_refused(site: Site, name: str, text: str, where: str) -> tuple[bool, str]:
    from labs.models import LabJob

    user = site.make_user(name)
    client = _client(user)
    page = _upload(client, text).content.decode()
    named = where in page and 'class="errorlist"' in page
    stored = LabJob.objects.filter(user=user).exists()
    dashboard = client.get(reverse("dashboard")).status_code
    return named and not stored and dashboard == 200, f"named {named}, stored {stored}, dashboard {dashboard}"


def import_result_its_schema_rejects(site: Site) -> tuple[bool, str]:
    record = _record()
    record["lab_jobs"][0]["result"]["status"] = "BOGUS"
    return _import_refused(site, "abuse-import-result", json.dumps(record), "lab_jobs/0/result/status")


def import_400_digit_ram(site: Site) -> tuple[bool, str]:
    text = json.dumps(_record()).replace(f'"ram_bytes": {1 << 37}', '"ram_bytes": 1' + "0" * 400)
    return _import_refused(site, "abuse-import-ram", text, "lab_jobs/0/system_info/ram_bytes")


def import_100000_levels(site: Site) -> tuple[bool, str]:
    text = json.dumps(_record()).replace('"params": {}', '"params": ' + "[" * 100_000 + "]" * 100_000)
    return _import_refused(site, "abuse-import-deep", text, "line 1 column")


def import_command_leaves_no_account(site: Site) -> tuple[bool, str]:
    from django.contrib.auth import get_user_model

    record = _record()
    record["lab_jobs"][0]["result"]["status"] = "BOGUS"
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(record, f)
    name = f"abuse-cmd-{secrets.token_hex(3)}"
    done = subprocess.run([sys.executable, "manage.py", "import_record", f.name, "--user", name, "--create-user"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    Path(f.name).unlink()
    left = get_user_model().objects.filter(username=name).exists()
    traceback = "Traceback" in done.stderr
    return done.returncode == 1 and not traceback and not left, f"rc {done.returncode}, traceback {traceback}, " \
                                                                 f"account left {left}"


# ---- item 8: the smaller ones ----------------------------------------------------------------------------------


def submit_empty_or_nul_is_400(site: Site) -> tuple[bool, str]:
    from practice.models import Exercise, Submission

    user = site.make_user("abuse-submit")
    exercise = Exercise.objects.live().exclude(kind=Exercise.Kind.NUMERIC).first()
    client = _client(user)
    url = reverse("submit", args=[exercise.slug])
    codes = [client.post(url, {"source": s}).status_code for s in ("", "x\x00")]
    stored = Submission.objects.filter(user=user).exists()
    return codes == [400, 400] and not stored, f"codes {codes}, stored {stored}"


def chunked_notes_refused(site: Site) -> tuple[bool, str]:
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    from tracker.models import Task, TaskProgress
    from tracker.services import task_set_notes

    user = site.make_user("abuse-chunked")
    task = Task.objects.live().first()
    task_set_notes(user=user, task=task, notes="old note")
    client = _client(user)
    secret = _get_new_csrf_string()
    cookies = f"{settings.SESSION_COOKIE_NAME}={client.session.session_key}; {settings.CSRF_COOKIE_NAME}={secret}"
    host, port = site.gunicorn.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("POST", reverse("task_notes", args=[task.slug]), body=iter([b"notes=", b"new"]), encode_chunked=True,
                 headers={"Cookie": cookies, "X-CSRFToken": _mask_cipher_secret(secret),
                          "Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"})
    response = conn.getresponse()
    response.read()
    conn.close()
    kept = TaskProgress.objects.get(user=user, task=task).notes == "old note"
    return response.status == 411 and kept, f"{response.status}, note kept {kept}"


def export_name_for_a_chinese_username(site: Site) -> tuple[bool, str]:
    user = site.make_user("张三")
    header = _client(user).get(reverse("record_export"))["Content-Disposition"]
    match = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
    real = unquote(match.group(1)) if match else ""
    return header.isascii() and real.startswith("deploydojo-张三-"), header


def revoked_portfolio_under_debug(site: Site) -> tuple[bool, str]:
    from django.test import override_settings

    from tracker.models import Profile

    user = site.make_user("abuse-portfolio")
    profile = Profile.objects.create(user=user)
    token = profile.publish_portfolio()
    profile.revoke_portfolio()
    with override_settings(DEBUG=True):
        response = _client().get(reverse("portfolio_public", args=[token]))
    html = response.content.decode()
    ours = 'data-testid="not-found"' in html and "URLconf" not in html
    return response.status_code == 404 and ours, f"{response.status_code}, product's page {ours}"


# ---- item 3: numbers through the runner API and the lab forms; items 7 and 8 on the runner API ---------------

RUNNER_CAPS = {"cpu": {"model": "abuse", "cores": 2}, "ram_bytes": 1 << 34, "cuda_devices": [], "versions": {},
               "queues": ["lab.cpu"]}


def _runner_api(path: str, text: str, token: str, **extra):
    import labcontract

    return _client().post(labcontract.API_PREFIX + path, data=text, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def _runner_and_job(site: Site, name: str):
    from labs.models import LabJob, Runner

    user = site.make_user(name)
    runner, token = Runner.create_with_token(owner=user, name=f"{name}-runner")
    job = LabJob.objects.create(user=user, lab="quant-inference", queue="lab.cpu", params={"precisions": ["fp32"]},
                                target=runner)  # queued and sent to this runner, as dispatch() leaves it
    return user, runner, token, job


def runner_api_4301_digit_integer_is_400(site: Site) -> tuple[bool, str]:
    from labs.models import Runner

    _, runner, token, _ = _runner_and_job(site, "abuse-api-digits")
    text = json.dumps({"capabilities": RUNNER_CAPS}).replace(str(1 << 34), "1" + "0" * 4300)
    response = _runner_api("heartbeat", text, token)
    body = response.json() if response.status_code != 500 else {}
    named = body.get("field") == "capabilities/ram_bytes" and "4301 digits" in body.get("error", "")
    untouched = Runner.objects.get(id=runner.id).last_seen_at is None
    return response.status_code == 400 and named and untouched, f"{response.status_code}, named {named}, " \
                                                                 f"runner untouched {untouched}"


def runner_400_digit_ram_refused_and_pages_survive_a_stored_one(site: Site) -> tuple[bool, str]:
    from labs.models import LabJob
    from tracker.models import Profile

    user, _, token, job = _runner_and_job(site, "abuse-api-ram")
    text = '{"attempt": 1, "system_info": {"ram_bytes": RAM}}'.replace("RAM", "1" + "0" * 399)
    response = _runner_api(f"jobs/{job.id}/start", text, token)
    job.refresh_from_db()
    refused = response.status_code == 400 and response.json().get("field") == "system_info/ram_bytes" \
        and job.status == LabJob.Status.QUEUED and job.system_info == {}
    # A size stored before the rule (an old row) must not break the pages that show it.
    huge = 10**399
    result = json.loads(CPP_RESULT.read_text(encoding="utf-8"))
    old = [LabJob.objects.create(user=user, lab="cpp-tokenizer", queue="lab.cpu", params={}, status="succeeded",
                                 result=result, system_info=info)
           for info in ({"ram_bytes": huge, "cpu": {"cores": huge}, "cuda_devices": [{"memory_bytes": huge}]},
                        {"ram_bytes": 1 << 34})]
    client = _client(user)
    Profile.objects.get_or_create(user=user)
    client.post(reverse("portfolio_publish"))
    token_ = Profile.objects.get(user=user).portfolio_token
    codes = {"job": client.get(reverse("lab_job", args=[old[0].pk])).status_code,
             "compare": client.get(reverse("lab_compare"), {"a": old[1].pk, "b": old[0].pk}).status_code,
             "portfolio": _client().get(reverse("portfolio_public", args=[token_])).status_code}
    return refused and set(codes.values()) == {200}, f"start {response.status_code}, refused {refused}, pages {codes}"


NAN_FORMS = [("finetune", "lr", "nan"), ("finetune", "alpha", "nan"), ("finetune", "dropout", "nan"),
             ("finetune", "heldout_fraction", "nan"), ("long-context", "accuracy_threshold", "nan"),
             ("long-context", "passkey_depths", "0.5\nnan"), ("long-context", "settings", "yarn nan")]


def lab_params_nan_refused_at_the_field(site: Site) -> tuple[bool, str]:
    from labs.models import LabJob

    user = site.make_user("abuse-nan")
    client = _client(user, "en")
    missed = []
    for lab, field, value in NAN_FORMS:
        response = client.post(reverse("lab_new", args=[lab]), {"queue": "lab.cpu", field: value})
        html = response.content.decode() if response.status_code == 200 else ""
        error = html.split('data-testid="form-error">')[1].split("</div>")[0] if "form-error" in html else ""
        if response.status_code != 200 or field not in error or "finite" not in error:
            missed.append(f"{lab}.{field}: {response.status_code} {error[:80]!r}")
    stored = LabJob.objects.filter(user=user).count()
    return not missed and not stored, f"{len(NAN_FORMS)} fields, not refused at the field: {missed or 'none'}, " \
                                      f"jobs stored {stored}"


def runner_job_ids_do_not_leak(site: Site) -> tuple[bool, str]:
    from labs.models import LabJob, Runner

    _, _, _, job = _runner_and_job(site, "abuse-api-owner")
    stranger = site.make_user("abuse-api-stranger")
    _, token = Runner.create_with_token(owner=stranger, name="stranger-runner")
    missing = (LabJob.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000
    answers = set()
    for job_id in (job.id, missing):
        for kind, body in (("start", {"attempt": 1, "system_info": {}}),
                           ("progress", {"attempt": 1, "progress": 1, "stage": "x"})):
            response = _runner_api(f"jobs/{job_id}/{kind}", json.dumps(body), token)
            answers.add((job_id == job.id, kind, response.status_code, response.content))
    same = {(kind, code, content) for exists, kind, code, content in answers if exists} == \
        {(kind, code, content) for exists, kind, code, content in answers if not exists}
    codes = sorted({code for _, _, code, _ in answers})
    return same and codes == [404], f"codes {codes}, existing and missing ids answer alike {same}"


def runner_api_plain_http_under_https(site: Site) -> tuple[bool, str]:
    """A gunicorn of its own with DEBUG=0 and DEPLOYDOJO_HTTPS=1: the runner, on the private network, posts over
    plain HTTP (as compose's runner does) and is answered, not redirected; pages still go to https."""
    import os
    import socket

    import labcontract
    from labs.models import Runner

    user = site.make_user("abuse-https")
    _, token = Runner.create_with_token(owner=user, name="compose-runner")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DEBUG": "0", "DEPLOYDOJO_HTTPS": "1", "SECRET_KEY": secrets.token_urlsafe(50)}
    log = open(Path(os.environ.get("DEPLOYDOJO_VAR_DIR", tempfile.gettempdir())) / "gunicorn-https.log", "w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--bind",
                               f"127.0.0.1:{port}", "--workers", "1"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", labcontract.API_PREFIX + "heartbeat",
                             body=json.dumps({"capabilities": RUNNER_CAPS}),
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                beat = conn.getresponse()
                beat.read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    return False, "the HTTPS-configured gunicorn did not answer"
                time.sleep(0.3)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/accounts/login/")
        page = conn.getresponse()
        page.read()
        to_https = page.status == 301 and (page.getheader("Location") or "").startswith("https://")
        return beat.status == 200 and to_https, f"heartbeat {beat.status}, pages redirected to https {to_https}"
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


CASES = [start_date_9999_refused, stored_start_9999_breaks_no_page, zh_start_date_saved_twice_keeps_the_schedule,
         import_result_its_schema_rejects, import_400_digit_ram, import_100000_levels,
         import_command_leaves_no_account, submit_empty_or_nul_is_400, chunked_notes_refused,
         export_name_for_a_chinese_username, revoked_portfolio_under_debug, runner_api_4301_digit_integer_is_400,
         runner_400_digit_ram_refused_and_pages_survive_a_stored_one, lab_params_nan_refused_at_the_field,
         runner_job_ids_do_not_leak, runner_api_plain_http_under_https]


def run_cases(site: Site) -> dict:
    """Every case, each in its own try: {"abuse_cases", "abuse_held", "abuse_failed": {name: detail}, ...}."""
    held, failed, seconds = 0, {}, {}
    for case in CASES:
        started = time.monotonic()
        try:
            ok, detail = case(site)
        except Exception as exc:  # a case that crashed did not hold; the others still run
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        seconds[case.__name__] = round(time.monotonic() - started, 2)
        held += ok
        if not ok:
            failed[case.__name__] = detail
    return {"abuse_cases": len(CASES), "abuse_held": held, "abuse_failed": failed, "abuse_seconds": seconds}
