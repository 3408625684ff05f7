"""Bad input, one rule: every form answers a clear message over HTTP (htmx included), never a 500 or silence.

Request-size limits per page (named in the refusal), NUL and other text the database refuses stopped before
any write, notes and checklist items refused with their own reason, a C++ archive over the contract's cap
refused before a job exists, and tampered record imports refused naming the row and field, nothing written.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from urllib.parse import urlencode

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from core.middleware import size_text
from evidence.transfer import RecordError, export_record, import_record, read_upload
from knowledge.models import Article, ChecklistItem
from labcontract.labs import cpp_tokenizer as cpp_contract
from labs.models import LabJob, Runner
from practice.models import Exercise, Submission
from tests.support import lab_result, runner_system_info
from tracker.models import Profile, Skill, StatusChange, Task, TaskProgress
from tracker.services import task_set_notes, task_set_status

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
MiB = 2**20


@pytest.fixture
def english(client_a):
    client_a.cookies["django_language"] = "en"
    return client_a


@pytest.fixture
def code_exercise(plan_content):
    return Exercise.objects.live().exclude(kind=Exercise.Kind.NUMERIC).first()


@pytest.fixture
def task(plan_content):
    return Task.objects.live().first()


def refused(response) -> str:
    """The refusal's text, from the htmx fragment or the page (both carry data-testid="refused")."""
    page = response.content.decode()
    assert 'data-testid="refused"' in page, page[:500]
    return page.split('data-testid="refused">', 1)[1].split("</div>", 1)[0]


# ---- request-size limits -------------------------------------------------------------------------------


def test_a_10_mb_source_over_htmx_is_answered_in_the_page_with_the_limit(client_a, code_exercise):
    response = client_a.post(reverse("submit", args=[code_exercise.slug]), {"source": "x" * 10_000_000},
                             headers=HTMX)
    assert response.status_code == 200  # htmx swaps only 2xx: the message lands where the verdict would
    assert "256 KiB" in refused(response) and "上限" in refused(response)
    assert not Submission.objects.exists()


def test_a_10_mb_source_as_a_plain_post_gets_a_413_page_in_chinese_or_english(client_a, code_exercise):
    url = reverse("submit", args=[code_exercise.slug])
    response = client_a.post(url, {"source": "x" * 10_000_000})
    assert response.status_code == 413
    assert "256 KiB" in refused(response) and "上限" in refused(response)
    assert "<!doctype html>" in response.content.decode() and "请求未处理" in response.content.decode()
    client_a.cookies["django_language"] = "en"
    response = client_a.post(url, {"source": "x" * 10_000_000})
    assert response.status_code == 413 and "limit of 256 KiB; nothing was done" in refused(response)
    assert not Submission.objects.exists()


def test_3_mb_of_notes_is_refused_with_the_limit_and_the_old_note_kept(client_a, user, task):
    task_set_notes(user=user, task=task, notes="旧笔记")
    url = reverse("task_notes", args=[task.slug])
    fragment = client_a.post(url, {"notes": "n" * 3_000_000}, headers=HTMX)
    assert fragment.status_code == 200 and "256 KiB" in refused(fragment)
    page = client_a.post(url, {"notes": "n" * 3_000_000})
    assert page.status_code == 413 and "256 KiB" in refused(page)
    assert TaskProgress.objects.get(user=user, task=task).notes == "旧笔记"


def test_pages_without_their_own_limit_get_the_default_of_256_kib(client_a):
    response = client_a.post(reverse("checklist_add"), {"prompt": "q" * 300_000})
    assert response.status_code == 413 and "256 KiB" in refused(response)
    assert not ChecklistItem.objects.filter(source=ChecklistItem.Source.USER).exists()


def test_the_record_import_takes_a_3_mb_file_and_refuses_one_over_50_mib(client_a, user, code_exercise):
    record = export_record(user)
    record["submissions"] = [
        {"exercise": code_exercise.slug, "mode": "submit", "status": "done", "verdict": "WA", "source": "#" * 60_000,
         "created_at": (timezone.now() - dt.timedelta(minutes=i)).isoformat()} for i in range(50)]
    upload = io.BytesIO(json.dumps(record).encode())
    upload.name = "record.json"
    assert upload.getbuffer().nbytes > 2 * MiB
    page = client_a.post(reverse("record_import"), {"file": upload})
    assert page.status_code == 200 and "submissions: +50" in page.content.decode()
    huge = io.BytesIO(b" " * (51 * MiB))
    huge.name = "record.json"
    response = client_a.post(reverse("record_import"), {"file": huge})
    assert response.status_code == 413 and "50 MiB" in refused(response)


def test_the_lab_form_allows_4_mib_and_says_so_above_it(client_a):
    archive = io.BytesIO(b"\0" * (5 * MiB))
    archive.name = "tok.tar.gz"
    response = client_a.post(reverse("lab_new", args=["cpp-tokenizer"]), {"queue": "lab.cpu", "archive": archive})
    assert response.status_code == 413 and "4 MiB" in refused(response)
    # 3 MiB of C++ in the form is over Django's 2.5 MB default but inside this page's 4 MiB: the view answers.
    response = client_a.post(reverse("lab_new", args=["cpp-tokenizer"]),
                             {"queue": "lab.cpu", "source": "int main(){}\n" + "/" * (3 * MiB)})
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="form-error"' in page
    assert "源码过大" in page and size_text(cpp_contract.CPP_SOURCE_MAX_BYTES) in page
    assert not LabJob.objects.exists()


def test_the_runner_api_keeps_its_own_json_answer_for_a_big_body(client):
    response = client.post(reverse("runner_heartbeat"), data=b"[" * (3 * MiB), content_type="application/json",
                           headers={"Authorization": "Bearer ddr_nope"})
    assert response["Content-Type"].startswith("application/json")
    assert "error" in response.json()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=128 * 1024)
def test_djangos_own_body_limit_is_answered_with_the_limit_named(client_a, task):
    url = reverse("task_notes", args=[task.slug])
    fragment = client_a.post(url, urlencode({"notes": "n" * 200_000}),
                             content_type="application/x-www-form-urlencoded", headers=HTMX)
    assert fragment.status_code == 200 and "128 KiB" in refused(fragment)
    page = client_a.post(url, {"notes": "n" * 200_000})
    assert page.status_code == 413 and "128 KiB" in refused(page)
    assert not TaskProgress.objects.exists()


def test_too_many_form_fields_are_answered_with_the_limit_named(client_a):
    response = client_a.post(reverse("checklist_add"), {"prompt": "q", "skills": [str(i) for i in range(1001)]})
    assert response.status_code == 413 and "1000" in refused(response)
    fragment = client_a.post(reverse("checklist_add"), {"prompt": "q", "skills": [str(i) for i in range(1001)]},
                             headers=HTMX)
    assert fragment.status_code == 200 and "1000" in refused(fragment)


def test_too_many_query_parameters_are_answered_with_the_limit_named(client_a, plan_content):
    response = client_a.get("/practice/?" + "&".join(f"kind={i}" for i in range(1001)))
    assert response.status_code == 400 and "1000" in refused(response)


@pytest.mark.parametrize("url", ["/search/?q=%00", "/resources/?type=%00", "/kb/?skill=%00", "/practice/?kind=%00"])
def test_a_nul_in_a_query_string_is_refused_with_a_message(client_a, plan_content, url):
    response = client_a.get(url)
    assert response.status_code == 400 and "NUL" in refused(response)
    fragment = client_a.get(url, headers=HTMX)
    assert fragment.status_code == 200 and "NUL" in refused(fragment)


# ---- notes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("notes, reason", [("n" * 50_001, "50000"), ("GPTQ\x00", "NUL")])
def test_bad_notes_are_refused_with_the_reason_and_the_old_note_is_kept(client_a, user, task, notes, reason):
    task_set_notes(user=user, task=task, notes="旧笔记")
    url = reverse("task_notes", args=[task.slug])
    fragment = client_a.post(url, {"notes": notes}, headers=HTMX)
    assert fragment.status_code == 200 and reason in refused(fragment) and "未保存" in refused(fragment)
    page = client_a.post(url, {"notes": notes})
    text = page.content.decode()
    assert page.status_code == 400 and 'data-testid="notes-error"' in text and reason in text
    assert 'data-testid="notes-rendered"' in text and "旧笔记" in text  # the note on file is still shown
    assert TaskProgress.objects.get(user=user, task=task).notes == "旧笔记"


def test_the_notes_refusal_speaks_english_when_chosen(english, user, task):
    response = english.post(reverse("task_notes", args=[task.slug]), {"notes": "n" * 50_001}, headers=HTMX)
    assert "at most 50000 characters" in refused(response) and "earlier note is kept" in refused(response)


def test_notes_at_the_limit_are_saved(client_a, user, task):
    response = client_a.post(reverse("task_notes", args=[task.slug]), {"notes": "n" * 50_000})
    assert response.status_code == 302
    assert len(TaskProgress.objects.get(user=user, task=task).notes) == 50_000


# ---- checklist items -----------------------------------------------------------------------------------


PROMPT = "我自己的问题 7731"


def _checklist_errors(response) -> str:
    return response.content.decode().split('<ul class="messages">', 1)[1].split("</ul>", 1)[0]


@pytest.mark.parametrize("data, reason", [
    ({"prompt": PROMPT, "article": "999999"}, "没有编号为 999999 的文章"),
    ({"prompt": PROMPT, "article": "abc"}, "没有编号为 abc 的文章"),
    ({"prompt": PROMPT, "article": "99999999999999999999999"}, "的文章"),
    ({"prompt": PROMPT, "skills": ["999999"]}, "没有编号为 999999 的技能"),
    ({"prompt": PROMPT + "\x00"}, "问题：含有 NUL 字符"),
    ({"prompt": PROMPT, "answer": "a\x00"}, "含有 NUL 字符"),
    ({"prompt": PROMPT, "article": "1\x00"}, "相关文章：含有 NUL 字符"),
    ({"prompt": PROMPT, "skills": ["1\x00"]}, "技能：含有 NUL 字符"),
])
def test_a_bad_checklist_item_gets_its_own_reason_not_an_empty_question(client_a, plan_content, data, reason):
    response = client_a.post(reverse("checklist_add"), data)
    assert response.status_code == 400
    errors = _checklist_errors(response)
    assert reason in errors and "问题不能为空" not in errors
    assert PROMPT in response.content.decode()  # the typed question is given back in the form
    fragment = client_a.post(reverse("checklist_add"), data, headers=HTMX)
    assert fragment.status_code == 200 and reason in refused(fragment)
    assert not ChecklistItem.objects.filter(source=ChecklistItem.Source.USER).exists()


def test_an_empty_question_still_says_so_and_a_good_item_is_added(client_a, plan_content):
    response = client_a.post(reverse("checklist_add"), {"prompt": ""})
    assert "问题：不能为空" in _checklist_errors(response)
    article = Article.objects.live().first()
    skill = Skill.objects.live().first()
    response = client_a.post(reverse("checklist_add"),
                             {"prompt": PROMPT, "article": str(article.pk), "skills": [str(skill.pk)]})
    assert response.status_code == 302
    item = ChecklistItem.objects.get(source=ChecklistItem.Source.USER)
    assert item.article == article and list(item.skills.all()) == [skill]


# ---- NUL in raw reads of the lab pages and the other forms ---------------------------------------------


def test_a_nul_in_a_lab_form_field_is_refused_naming_the_field(client_a):
    response = client_a.post(reverse("lab_new", args=["quant-inference"]),
                             {"queue": "lab.cpu", "precisions": ["fp32"], "model": "fixture\x00"})
    page = response.content.decode()
    assert 'data-testid="form-error"' in page and "model" in page and "NUL" in page
    response = client_a.post(reverse("lab_new", args=["cpp-tokenizer"]),
                             {"queue": "lab.cpu", "source": "int main(){}\x00"})
    page = response.content.decode()
    assert 'data-testid="form-error"' in page and "source" in page and "NUL" in page
    assert not LabJob.objects.exists()


def test_a_nul_in_a_runner_name_is_refused_and_no_runner_is_made(client_a):
    response = client_a.post(reverse("runner_create"), {"name": "gpu\x00box"}, follow=True)
    assert "NUL" in response.content.decode()
    assert not Runner.objects.exists()


def test_a_status_change_with_a_foreign_or_nul_next_stays_on_this_site(client_a, task):
    for target in ("https://evil.example/", "/plan/\x00"):
        response = client_a.post(reverse("task_status", args=[task.slug]), {"status": "doing", "next": target})
        assert response.status_code == 302 and response["Location"] == f"/plan/{task.phase.slug}/"


def test_a_bad_rating_sent_by_htmx_is_answered_in_the_page(client_a, plan_content):
    item = ChecklistItem.objects.filter(user__isnull=True).first()
    response = client_a.post(reverse("review_rate", args=[item.pk]), {"rating": "3\x00"}, headers=HTMX)
    assert response.status_code == 200 and "1-4" in refused(response)


# ---- C++ archives --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language, words", [("zh-hans", "压缩包过大"), ("en", "too large")])
def test_a_2_mb_cpp_archive_is_refused_as_too_large_before_any_job(client_a, language, words):
    client_a.cookies["django_language"] = language
    archive = io.BytesIO(b"\x1f\x8b" + b"\0" * (2 * MiB))
    archive.name = "tokenizer.tar.gz"
    response = client_a.post(reverse("lab_new", args=["cpp-tokenizer"]), {"queue": "lab.cpu", "archive": archive})
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="form-error"' in page
    assert words in page and size_text(cpp_contract.CPP_SOURCE_MAX_BYTES) in page and "2.0 MiB" in page
    assert not LabJob.objects.exists()


def test_an_archive_at_the_cap_is_still_accepted(client_a):
    archive = io.BytesIO(b"\x1f\x8b" + b"\0" * (cpp_contract.CPP_SOURCE_MAX_BYTES - 2))
    archive.name = "tokenizer.tar.gz"
    response = client_a.post(reverse("lab_new", args=["cpp-tokenizer"]), {"queue": "lab.cpu", "archive": archive})
    assert response.status_code == 302
    assert LabJob.objects.get().params["archive_b64"]


# ---- tampered record imports ---------------------------------------------------------------------------


NOW = timezone.now()


@pytest.fixture
def record(user, plan_content):
    """A real export with one row of every kind."""
    task = Task.objects.live().first()
    task_set_status(user=user, task=task, status="doing")
    task_set_notes(user=user, task=task, notes="笔记")
    Profile.objects.update_or_create(user=user, defaults={"start_date": dt.date(2026, 1, 5)})
    exercise = Exercise.objects.live().first()
    Submission.objects.create(user=user, exercise=exercise, status="done", verdict="AC", attempt=1,
                              results=[{"ok": True}], created_at=NOW - dt.timedelta(days=1))
    LabJob.objects.create(user=user, lab="cpp-tokenizer", queue="lab.cpu", status="succeeded",
                          result=lab_result("cpp-tokenizer-ok"), system_info=runner_system_info(),
                          created_at=NOW - dt.timedelta(days=1), finished_at=NOW)
    from knowledge.reviews import review_item

    mine = ChecklistItem.objects.create(key=ChecklistItem.new_user_key(), source="user", user=user, prompt="Q?")
    review_item(user=user, item=mine, rating=3, now=NOW - dt.timedelta(days=1))
    return json.loads(json.dumps(export_record(user)))


def _nest(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


TAMPERED = [
    ("negative attempt", lambda d: d["submissions"][0].update(attempt=-1), "submissions/0/attempt"),
    ("2**40 attempt", lambda d: d["submissions"][0].update(attempt=2**40), "submissions/0/attempt"),
    ("2**40 passed", lambda d: d["submissions"][0].update(passed=2**40), "submissions/0/passed"),
    ("2**40 lab attempt", lambda d: d["lab_jobs"][0].update(attempt=2**40), "lab_jobs/0/attempt"),
    ("2**40 reps", lambda d: d["review_cards"][0].update(reps=2**40), "review_cards/0/reps"),
    ("2**40 state", lambda d: d["review_cards"][0].update(state=2**40), "review_cards/0/state"),
    ("2**40 duration", lambda d: d["review_logs"][0].update(duration_ms=2**40), "review_logs/0/duration_ms"),
    ("Feb 30 submission", lambda d: d["submissions"][0].update(created_at="2024-02-30T10:00:00+00:00"),
     "submissions/0/created_at"),
    ("Feb 30 start date", lambda d: d["profile"].update(start_date="2024-02-30"), "profile/start_date"),
    ("Feb 30 status change", lambda d: d["status_changes"][0].update(at="2024-02-30T10:00:00"), "status_changes/0/at"),
    ("year 9999", lambda d: d["lab_jobs"][0].update(finished_at="9999-12-31T23:59:59-05:00"), "lab_jobs/0/finished_at"),
    ("NUL in notes", lambda d: d["tasks"][0].update(notes="a\x00b"), "tasks/0/notes"),
    ("NUL in results", lambda d: d["submissions"][0].update(results=[{"out": "\x00"}]), "submissions/0/results/0/out"),
    ("NUL in a key", lambda d: d["lab_jobs"][0]["result"].update({"k\x00": 1}), "lab_jobs/0/result"),
    ("NUL in a slug", lambda d: d["checklist_items"][0].update(article="kv\x00"), "checklist_items/0/article"),
    ("lone surrogate", lambda d: d["checklist_items"][0].update(prompt="\ud800"), "checklist_items/0/prompt"),
    ("NaN", lambda d: d["submissions"][0].update(score=float("nan")), "submissions/0/score"),
    ("long checklist key", lambda d: d["checklist_items"][0].update(key="user/" + "k" * 200),
     "checklist_items/0/key"),
    ("long review item", lambda d: d["review_cards"][0].update(item="user/" + "k" * 200), "review_cards/0/item"),
    ("long verdict", lambda d: d["submissions"][0].update(verdict="ACCEPTED"), "submissions/0/verdict"),
    ("long queue", lambda d: d["lab_jobs"][0].update(queue="q" * 21), "lab_jobs/0/queue"),
    ("unknown lab", lambda d: d["lab_jobs"][0].update(lab="gpu-mining"), "lab_jobs/0/lab"),
    ("result its schema rejects", lambda d: d["lab_jobs"][0]["result"].update(status="BOGUS"),
     "lab_jobs/0/result/status"),
    ("result without its files", lambda d: d["lab_jobs"][0]["result"].pop("source_files"), "lab_jobs/0/result"),
    ("result of another lab", lambda d: d["lab_jobs"][0].update(lab="finetune"), "lab_jobs/0/result"),
    ("400-digit RAM", lambda d: d["lab_jobs"][0]["system_info"].update(ram_bytes=10**400),
     "lab_jobs/0/system_info/ram_bytes"),
    ("2**70 in params", lambda d: d["lab_jobs"][0]["params"].update(repeats=2**70), "lab_jobs/0/params/repeats"),
    ("long notes", lambda d: d["tasks"][0].update(notes="n" * 50_001), "tasks/0/notes"),
    ("deep nesting", lambda d: d["lab_jobs"][0].update(params={"x": _nest(500)}), "lab_jobs/0/params"),
    ("task twice", lambda d: d["tasks"].append(copy.deepcopy(d["tasks"][0])), "tasks/1/task"),
    ("item twice", lambda d: d["checklist_items"].append(copy.deepcopy(d["checklist_items"][0])),
     "checklist_items/1/key"),
    ("unknown exercise", lambda d: d["submissions"][0].update(exercise="no-such-exercise"), "submissions/0/exercise"),
    ("unknown skill", lambda d: d["checklist_items"][0].update(skills=["no-such-skill"]),
     "checklist_items/0/skills/0"),
    ("unknown review item", lambda d: d["review_cards"][0].update(item="article/nope/1"), "review_cards/0/item"),
    ("card not FSRS", lambda d: d["review_cards"][0]["card"].update(state=99), "review_cards/0/card"),
    ("card without zone", lambda d: d["review_cards"][0]["card"].update(due="2026-01-01T00:00:00"),
     "review_cards/0/card"),
]


def _nothing_imported(user) -> None:
    for model in (TaskProgress, StatusChange, Submission, LabJob, ChecklistItem):
        assert not model.objects.filter(user=user).exists(), model.__name__
    assert not Profile.objects.filter(user=user, start_date__isnull=False).exists()


@pytest.mark.parametrize("name, tamper, where", TAMPERED, ids=[t[0] for t in TAMPERED])
def test_a_tampered_record_is_refused_naming_row_and_field_and_imports_nothing(
        record, other_user, name, tamper, where):
    tamper(record)
    with pytest.raises(RecordError) as refusal:
        import_record(other_user, record)
    assert str(refusal.value).startswith(where), str(refusal.value)
    _nothing_imported(other_user)


@pytest.mark.parametrize("name, tamper, where", [t for t in TAMPERED if t[0] not in ("lone surrogate", "NaN")],
                         ids=[t[0] for t in TAMPERED if t[0] not in ("lone surrogate", "NaN")])
def test_a_tampered_upload_is_answered_on_the_page_never_a_500(client, record, other_user, name, tamper, where):
    tamper(record)
    upload = io.BytesIO(json.dumps(record).encode())
    upload.name = "record.json"
    client.force_login(other_user)
    response = client.post(reverse("record_import"), {"file": upload})
    assert response.status_code == 200 and 'class="errorlist"' in response.content.decode()
    assert where in response.content.decode()
    _nothing_imported(other_user)


@pytest.mark.parametrize("text, reason", [
    ("[" * 200_000, "line 1 column 33: nested deeper than the 32 levels"),
    ('{"score": NaN}', "NaN"),
    ('{"a": Infinity}', "Infinity"),
    ('{"a": 1' + "0" * 5000 + "}", "a: an integer of 5001 digits"),
    ('{"a": {"b": [-1' + "0" * 400 + "]}}", "a/b/0: an integer of 401 digits"),
    ('{"a": "\\ud800"}', "Unicode"),
])
def test_hostile_json_text_is_refused_with_a_reason(client, other_user, plan_content, text, reason):
    with pytest.raises(RecordError, match=reason):
        data = read_upload(io.BytesIO(text.encode()))
        import_record(other_user, data)
    upload = io.BytesIO(text.encode())
    upload.name = "record.json"
    client.force_login(other_user)
    response = client.post(reverse("record_import"), {"file": upload})
    assert response.status_code == 200 and 'class="errorlist"' in response.content.decode()


def test_unfinished_work_is_imported_as_finished_with_a_note(record, other_user, client):
    record["submissions"][0].update(status="queued", verdict="", finished_at=None)
    record["submissions"].append({**record["submissions"][0], "status": "running", "verdict": "AC",
                                  "created_at": (NOW - dt.timedelta(hours=1)).isoformat()})
    record["lab_jobs"][0].update(status="running", finished_at=None, result=None)
    import_record(other_user, record)
    subs = list(Submission.objects.filter(user=other_user))
    assert len(subs) == 2
    assert all(s.status == "done" and s.verdict == "IE" and s.finished_at and "导入" in s.message for s in subs)
    job = LabJob.objects.get(user=other_user)
    assert job.status == "failed" and job.finished_at and "导入" in job.error
    # Nothing of it waits for a judge: the learner can submit at once (the cap counts unfinished ones).
    client.force_login(other_user)
    exercise = Exercise.objects.live().exclude(kind=Exercise.Kind.NUMERIC).first()
    for _ in range(3):
        client.post(reverse("submit", args=[exercise.slug]), {"source": "def f(): pass"}, headers=HTMX)
    assert Submission.objects.filter(user=other_user, status="queued").count() == 3
    client.cookies["django_language"] = "en"
    page = client.get(reverse("submission", args=[subs[0].pk])).content.decode()
    assert "imported as IE" in page


def test_a_result_no_runner_could_post_is_refused_and_the_dashboard_stays_up(client, record, other_user):
    record["lab_jobs"][0]["result"]["documents"] = [{"name": 7}]  # what the job page and the dashboard read
    upload = io.BytesIO(json.dumps(record).encode())
    upload.name = "record.json"
    client.force_login(other_user)
    page = client.post(reverse("record_import"), {"file": upload}).content.decode()
    assert 'class="errorlist"' in page and "lab_jobs/0/result/documents/0" in page
    _nothing_imported(other_user)
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_succeeded_job_whose_result_reports_a_failure_is_imported_as_failed(record, other_user):
    record["lab_jobs"][0]["result"] = lab_result("cpp-tokenizer-ce")  # as the site records such a runner's post
    import_record(other_user, record)
    job = LabJob.objects.get(user=other_user)
    assert job.status == "failed" and job.error.startswith("CE")


def test_a_real_export_still_round_trips(record, other_user):
    report = import_record(other_user, record)
    assert report.added_by_kind["submissions"] == 1 and report.added_by_kind["lab_jobs"] == 1
    assert report.added_by_kind["checklist_items"] == 1 and report.added_by_kind["review_cards"] == 1
