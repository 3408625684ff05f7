"""Export a user's whole record as one JSON document and import it into any instance with the same content.

Rows are keyed by content slugs (tasks, exercises, articles) and by their own timestamps, never by database
ids, so an import is idempotent: importing the same file twice adds nothing. The document is validated
before anything is written — every string and number for what PostgreSQL can store (no NUL, valid Unicode,
finite numbers, integers within INT_LIMIT and their columns, nesting at most MAX_DEPTH deep), then
RECORD_SCHEMA (lengths are the model fields' max_length), each lab result against its lab's result schema as
a runner's post is (labcontract.validate_result), real calendar dates within DATE_YEARS, no row given twice —
and every slug is resolved; the import runs in one transaction, and every refusal names the row and the
field (or, for text that is not a record at all, the line and column).

Unfinished work is imported as finished, with a note: a submission exported while queued or running
becomes an IE verdict, a lab job a failure. Refusing would make an honest export taken during grading
unimportable; importing it as unfinished would leave rows no worker will ever pick up, which count
against the learner's limit on unfinished submissions.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_noop
from fsrs import Card

import labcontract
from core.versions import bump_user_version
from knowledge.models import Article, ChecklistItem, ReviewCard, ReviewLog
from labs.models import LabJob
from practice.models import Exercise, Submission
from tracker.forms import NOTES_MAX_CHARS
from tracker.models import Profile, Skill, Status, StatusChange, Task, TaskProgress

FORMAT = "deploydojo-record"
VERSION = 1
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # as settings.REQUEST_SIZE_LIMITS allows for /record/import/
MAX_DEPTH = 32  # the deepest real record (a lab result) is under 10 levels
DATE_YEARS = (1970, 2199)  # outside these a date is a typo or tampering (and year 10000 cannot be read back)
INT_MAX = 2**31 - 1  # PositiveIntegerField: PostgreSQL integer
INT_LIMIT = labcontract.INT_LIMIT  # any integer of a record, as of a runner's post (one constant, one rule)
SMALL_MAX = 2**15 - 1  # PositiveSmallIntegerField: PostgreSQL smallint
IMPORTED_UNJUDGED = gettext_noop("导出时尚未判完（排队或运行中），导入时记为 IE，未重新判题。")
IMPORTED_UNFINISHED_JOB = gettext_noop("导出时仍在排队或运行，导入时记为失败，未重新运行。")

log = logging.getLogger(__name__)

_STR = {"type": "string"}
_TIME = {"type": "string", "minLength": 10, "maxLength": 40}
_OPT_TIME = {"type": ["string", "null"], "maxLength": 40}
_SLUG = {"type": "string", "maxLength": 120, "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$"}  # SlugField(max_length=120)
_STATUS = {"enum": list(Status.values)}
_COUNT = {"type": "integer", "minimum": 0, "maximum": INT_MAX}
_ITEM_KEY = {"type": "string", "minLength": 1, "maxLength": 160}  # ChecklistItem.key


# A submission's own figures, exported and imported as they are (the rest is keyed or re-derived).
SUBMISSION_VALUES = ("source", "attempt", "verdict", "score", "passed", "total", "message", "results",
                     "complexity_exponent")


def _create_or_update(obj, values: dict, model, **keys) -> tuple:
    """Create the row (keys + values) when missing, save it when a value differs;
    returns (row, "added" | "updated" | "")."""
    if obj is None:
        return model.objects.create(**keys, **values), "added"
    if all(getattr(obj, k) == v for k, v in values.items()):
        return obj, ""
    for k, v in values.items():
        setattr(obj, k, v)
    obj.save()
    return obj, "updated"

def _obj(required: list[str], props: dict) -> dict:
    return {"type": "object", "required": required, "additionalProperties": False, "properties": props}


RECORD_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    **_obj(
        [
            "format",
            "version",
            "profile",
            "tasks",
            "status_changes",
            "submissions",
            "lab_jobs",
            "checklist_items",
            "review_cards",
            "review_logs",
        ],
        {
            "format": {"const": FORMAT},
            "version": {"const": VERSION},
            "exported_at": _STR,
            "username": _STR,
            "profile": _obj([], {"start_date": {"type": ["string", "null"], "maxLength": 40}}),
            "tasks": {
                "type": "array",
                "items": _obj(
                    ["task", "status"],
                    {
                        "task": _SLUG,
                        "status": _STATUS,
                        "notes": {"type": "string", "maxLength": NOTES_MAX_CHARS},
                        "updated_at": _TIME,
                        "completed_at": _OPT_TIME,
                    },
                ),
            },
            "status_changes": {
                "type": "array",
                "items": _obj(
                    ["task", "old", "new", "at"], {"task": _SLUG, "old": _STATUS, "new": _STATUS, "at": _TIME}
                ),
            },
            "submissions": {
                "type": "array",
                "items": _obj(
                    ["exercise", "mode", "verdict", "created_at"],
                    {
                        "exercise": _SLUG,
                        "mode": {"enum": list(Submission.Mode.values)},
                        "status": {"enum": list(Submission.Status.values)},
                        "source": {"type": "string", "maxLength": settings.JUDGE_MAX_SOURCE_BYTES},
                        "attempt": _COUNT,
                        "verdict": {"type": "string", "maxLength": 4},
                        "score": {"type": "number"},
                        "passed": _COUNT,
                        "total": _COUNT,
                        "message": _STR,
                        "results": {"type": "array"},
                        "complexity_exponent": {"type": ["number", "null"]},
                        "created_at": _TIME,
                        "started_at": _OPT_TIME,
                        "finished_at": _OPT_TIME,
                    },
                ),
            },
            "lab_jobs": {
                "type": "array",
                "items": _obj(
                    ["lab", "status", "created_at"],
                    {
                        "lab": {"enum": list(labcontract.LABS)},  # the job page has a title for these only
                        "queue": {"type": "string", "maxLength": 20},
                        "params": {"type": "object"},
                        "status": {"enum": list(LabJob.Status.values)},
                        "attempt": {"type": "integer", "minimum": 1, "maximum": INT_MAX},
                        "result": {"type": ["object", "null"]},
                        "error": _STR,
                        "system_info": {"type": "object"},
                        "created_at": _TIME,
                        "started_at": _OPT_TIME,
                        "finished_at": _OPT_TIME,
                    },
                ),
            },
            "checklist_items": {
                "type": "array",
                "items": _obj(
                    ["key", "prompt"],
                    {
                        "key": {**_ITEM_KEY, "pattern": "^user/"},
                        "prompt": {"type": "string", "minLength": 1},
                        "answer": _STR,
                        "article": {"type": ["string", "null"], "maxLength": 120},
                        "skills": {"type": "array", "items": _SLUG},
                        "created_at": _TIME,
                    },
                ),
            },
            "review_cards": {
                "type": "array",
                "items": _obj(
                    ["item", "card", "due"],
                    {
                        "item": _ITEM_KEY,
                        "card": {"type": "object", "required": ["state", "due"]},
                        "due": _TIME,
                        "state": {"type": "integer", "minimum": 0, "maximum": SMALL_MAX},
                        "stability": {"type": ["number", "null"]},
                        "last_review": _OPT_TIME,
                        "reps": _COUNT,
                    },
                ),
            },
            "review_logs": {
                "type": "array",
                "items": _obj(
                    ["item", "rating", "reviewed_at"],
                    {
                        "item": _ITEM_KEY,
                        "rating": {"enum": [1, 2, 3, 4]},
                        "reviewed_at": _TIME,
                        "duration_ms": {"type": ["integer", "null"], "minimum": 0, "maximum": INT_MAX},
                    },
                ),
            },
        },
    ),
}


class RecordError(ValueError):
    """The uploaded record is not valid; nothing was written. The message names the place."""


@dataclass
class ImportReport:
    added_by_kind: dict[str, int] = field(default_factory=dict)
    updated_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def added(self) -> int:
        return sum(self.added_by_kind.values())


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value else None


# ---- export ---------------------------------------------------------------------------------------------


def export_record(user) -> dict[str, Any]:
    """The user's whole record as JSON-ready data (a dozen queries; rows streamed with values())."""
    profile = Profile.objects.filter(user=user).first()
    items = {i.id: i for i in ChecklistItem.objects.filter(cards__user=user).distinct()}
    own = list(ChecklistItem.objects.filter(user=user).select_related("article").prefetch_related("skills"))
    items.update({i.id: i for i in own})
    cards = list(ReviewCard.objects.filter(user=user))
    card_item = {c.id: c.item_id for c in cards}
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "username": user.get_username(),
        "profile": {"start_date": _iso(profile.start_date) if profile else None},
        "tasks": [
            {"task": slug, "status": status, "notes": notes, "updated_at": _iso(u), "completed_at": _iso(c)}
            for slug, status, notes, u, c in TaskProgress.objects.filter(user=user)
            .order_by("task__slug")
            .values_list("task__slug", "status", "notes", "updated_at", "completed_at")
        ],
        "status_changes": [
            {"task": slug, "old": old, "new": new, "at": _iso(at)}
            for slug, old, new, at in StatusChange.objects.filter(user=user)
            .order_by("at", "id")
            .values_list("task__slug", "old", "new", "at")
        ],
        "submissions": [
            _submission_out(row)
            for row in Submission.objects.filter(user=user)
            .order_by("created_at", "id")
            .values("exercise__slug", "mode", "status", *SUBMISSION_VALUES, "created_at", "started_at", "finished_at")
        ],
        "lab_jobs": [
            _job_out(row)
            for row in LabJob.objects.filter(user=user, status__in=LabJob.FINISHED)
            .order_by("created_at", "id")
            .values(
                "lab",
                "queue",
                "params",
                "status",
                "attempt",
                "result",
                "error",
                "system_info",
                "created_at",
                "started_at",
                "finished_at",
            )
        ],
        "checklist_items": [
            {
                "key": i.key,
                "prompt": i.prompt,
                "answer": i.answer,
                "article": i.article.slug if i.article else None,
                "skills": sorted(s.slug for s in i.skills.all()),
                "created_at": _iso(i.created_at),
            }
            for i in own
        ],
        "review_cards": [
            {
                "item": items[c.item_id].key,
                "card": c.card,
                "due": _iso(c.due),
                "state": c.state,
                "stability": c.stability,
                "last_review": _iso(c.last_review),
                "reps": c.reps,
            }
            for c in cards
        ],
        "review_logs": [
            {"item": items[card_item[card_id]].key, "rating": rating, "reviewed_at": _iso(at), "duration_ms": ms}
            for card_id, rating, at, ms in ReviewLog.objects.filter(user=user)
            .order_by("reviewed_at", "id")
            .values_list("card_id", "rating", "reviewed_at", "duration_ms")
        ],
    }


def _submission_out(row: dict) -> dict:
    row["exercise"] = row.pop("exercise__slug")
    for k in ("created_at", "started_at", "finished_at"):
        row[k] = _iso(row[k])
    return row


def _job_out(row: dict) -> dict:
    for k in ("created_at", "started_at", "finished_at"):
        row[k] = _iso(row[k])
    return row


# ---- import ---------------------------------------------------------------------------------------------


def read_upload(fileobj) -> Any:
    if getattr(fileobj, "size", 0) > MAX_UPLOAD_BYTES:
        raise RecordError(f"file is larger than {MAX_UPLOAD_BYTES // 2**20} MiB")
    return parse_record(fileobj.read())


def parse_record(raw: bytes) -> Any:
    """The JSON text of a record, parsed; RecordError (naming the place) for text that cannot be one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"not a UTF-8 file: {exc}") from None
    try:
        return json.loads(text, parse_constant=_no_constant, parse_int=labcontract.parse_int)
    except RecursionError:
        raise RecordError(f"{_too_deep_at(text)}: nested deeper than the {MAX_DEPTH} levels a record has") from None
    except RecordError:
        raise
    except ValueError as exc:  # JSONDecodeError (its message names the line and column)
        raise RecordError(f"not a JSON file: {exc}") from None


_NESTING = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')


def _too_deep_at(text: str) -> str:
    """"line L column C": where the text first opens more than MAX_DEPTH arrays or objects (read without
    recursion: the parser itself gave up)."""
    depth = 0
    for match in _NESTING.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
                return f"line {line} column {column}"
        elif token in "]}":
            depth -= 1
    return "(top level)"


def _no_constant(name: str) -> None:
    raise RecordError(f"{name} is not a number a record can hold (only finite numbers)")


def validate_record(data: Any) -> None:
    """Everything that can be checked without the database; raises RecordError naming the place."""
    _check_values(data)
    validator = jsonschema.Draft202012Validator(RECORD_SCHEMA)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        raise RecordError(f"{_where(error.absolute_path)}: {error.message}")
    _check_unique(data["tasks"], "tasks", "task")
    _check_unique(data["checklist_items"], "checklist_items", "key")
    for i, row in enumerate(data["review_cards"]):
        _check_card(row["card"], f"review_cards/{i}/card")
    for i, row in enumerate(data["lab_jobs"]):
        if row.get("result") is not None:
            try:
                labcontract.validate_result(row["lab"], row["result"])
            except labcontract.ContractError as exc:
                raise RecordError(f"lab_jobs/{i}/{exc.field or 'result'}: {exc}") from None


def _where(path) -> str:
    return "/".join(str(p).replace("\x00", "\\0") for p in path) or "(top level)"


def _check_values(data: Any) -> None:
    """Values PostgreSQL refuses (NUL, lone surrogates, NaN/Infinity), nesting past MAX_DEPTH, and integers
    beyond INT_LIMIT (which no page could render: str() of a 4,301-digit integer raises): the runner API's
    rule (labcontract.check_storable), the same bound."""
    try:
        labcontract.check_storable(data, max_depth=MAX_DEPTH)
    except labcontract.ContractError as exc:
        raise RecordError(str(exc)) from None


def _check_unique(rows: list[dict], kind: str, key: str) -> None:
    first: dict[str, int] = {}
    for i, row in enumerate(rows):
        j = first.setdefault(row[key], i)
        if j != i:
            raise RecordError(f"{kind}/{i}/{key}: {row[key]!r} is given twice (also {kind}/{j})")


def _check_card(card: dict, where: str) -> None:
    """The FSRS card as the review pages will load it (knowledge.reviews: Card.from_dict)."""
    try:
        loaded = Card.from_dict(card)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise RecordError(f"{where}: not an FSRS card ({type(exc).__name__}: {exc})") from None
    if loaded.due.tzinfo is None or (loaded.last_review is not None and loaded.last_review.tzinfo is None):
        raise RecordError(f"{where}: due/last_review need a time zone")
    if not (loaded.step is None or (isinstance(loaded.step, int) and 0 <= loaded.step <= SMALL_MAX)):
        raise RecordError(f"{where}/step: {loaded.step!r} is not a learning step")
    _in_years(loaded.due, f"{where}/due")


def _in_years(value: dt.date, where: str) -> None:
    if not DATE_YEARS[0] <= value.year <= DATE_YEARS[1]:
        raise RecordError(f"{where}: {value.isoformat()} is outside the years {DATE_YEARS[0]}–{DATE_YEARS[1]}")


def _when(value: str | None, where: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError as exc:  # well-formed but not on the calendar: 2024-02-30
        raise RecordError(f"{where}: not a real date-time: {value!r} ({exc})") from None
    if parsed is None:
        raise RecordError(f"{where}: not an ISO 8601 date-time: {value!r}")
    _in_years(parsed, where)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)


def _resolve(model, uses: dict[str, str], what: str) -> dict[str, Any]:
    """Rows by slug; `uses` maps each slug to the first place in the record that names it."""
    found = {o.slug: o for o in model.objects.filter(slug__in=list(uses))}
    missing = [slug for slug in uses if slug not in found]
    if missing:
        raise RecordError(f"{uses[missing[0]]}: unknown {what} slug(s) on this site: {', '.join(missing[:5])}")
    return found


def _uses(rows: list[dict], kind: str, key: str) -> dict[str, str]:
    uses: dict[str, str] = {}
    for i, row in enumerate(rows):
        values = row.get(key) or []
        for j, slug in enumerate(values if isinstance(values, list) else [values]):
            uses.setdefault(slug, f"{kind}/{i}/{key}" + (f"/{j}" if isinstance(values, list) else ""))
    return uses


def import_record(user, data: Any) -> ImportReport:
    """Merge a record into `user`'s data. Raises RecordError (nothing written) when it does not validate."""
    validate_record(data)
    task_uses = {**_uses(data["status_changes"], "status_changes", "task"), **_uses(data["tasks"], "tasks", "task")}
    tasks = _resolve(Task, task_uses, "task")
    exercises = _resolve(Exercise, _uses(data["submissions"], "submissions", "exercise"), "exercise")
    articles = _resolve(Article, _uses(data["checklist_items"], "checklist_items", "article"), "article")
    skills = _resolve(Skill, _uses(data["checklist_items"], "checklist_items", "skills"), "skill")
    report = ImportReport()
    try:
        with transaction.atomic():
            _import_profile(user, data["profile"], report)
            _import_progress(user, data, tasks, report)
            _import_submissions(user, data["submissions"], exercises, report)
            _import_jobs(user, data["lab_jobs"], report)
            items = _import_items(user, data["checklist_items"], articles, skills, report)
            _import_reviews(user, data, items, report)
            bump_user_version(user.id)
    except DatabaseError as exc:
        # The checks above are meant to catch everything first; should one be missing, the learner still
        # gets an answer (and nothing was written: the transaction rolled back), and the log the details.
        log.warning("record import refused by the database", exc_info=True)
        raise RecordError(f"the database refused the record ({type(exc).__name__}); nothing was imported") from None
    return report


def _import_profile(user, profile: dict, report: ImportReport) -> None:
    start = profile.get("start_date")
    if start is None:
        return
    try:
        date = parse_date(start)
    except ValueError as exc:  # well-formed but not on the calendar: 2024-02-30
        raise RecordError(f"profile/start_date: not a real date: {start!r} ({exc})") from None
    if date is None:
        raise RecordError(f"profile/start_date: not an ISO date: {start!r}")
    _in_years(date, "profile/start_date")
    obj, _created = Profile.objects.get_or_create(user=user)
    if obj.start_date != date:
        obj.start_date = date
        obj.save(update_fields=["start_date"])
        report.updated_by_kind["profile"] = 1


def _import_progress(user, data: dict, tasks: dict, report: ImportReport) -> None:
    existing = {p.task_id: p for p in TaskProgress.objects.filter(user=user)}
    added = updated = 0
    for i, row in enumerate(data["tasks"]):
        task = tasks[row["task"]]
        values = {
            "status": row["status"],
            "notes": row.get("notes", ""),
            "updated_at": _when(row.get("updated_at"), f"tasks/{i}/updated_at") or timezone.now(),
            "completed_at": _when(row.get("completed_at"), f"tasks/{i}/completed_at"),
        }
        # Saved one by one (not bulk): the notes search index is kept by a post_save signal.
        _, change = _create_or_update(existing.get(task.id), values, TaskProgress, user=user, task=task)
        added, updated = added + (change == "added"), updated + (change == "updated")
    report.added_by_kind["tasks"], report.updated_by_kind["tasks"] = added, updated
    seen = set(StatusChange.objects.filter(user=user).values_list("task_id", "old", "new", "at"))
    new = []
    for i, row in enumerate(data["status_changes"]):
        key = (tasks[row["task"]].id, row["old"], row["new"], _when(row["at"], f"status_changes/{i}/at"))
        if key not in seen:
            seen.add(key)
            new.append(StatusChange(user=user, task_id=key[0], old=key[1], new=key[2], at=key[3]))
    StatusChange.objects.bulk_create(new, batch_size=1000)
    report.added_by_kind["status_changes"] = len(new)


def _import_submissions(user, rows: list[dict], exercises: dict, report: ImportReport) -> None:
    seen = set(Submission.objects.filter(user=user).values_list("exercise_id", "mode", "created_at"))
    new = []
    for i, row in enumerate(rows):
        ex = exercises[row["exercise"]]
        created = _when(row["created_at"], f"submissions/{i}/created_at")
        if (ex.id, row["mode"], created) in seen:
            continue
        seen.add((ex.id, row["mode"], created))
        values = {k: row[k] for k in SUBMISSION_VALUES if k in row}
        finished = _when(row.get("finished_at"), f"submissions/{i}/finished_at")
        if row.get("status", Submission.Status.DONE) != Submission.Status.DONE:
            # Not judged when exported: kept as history, never as work for a judge (see the module docstring).
            values.update(verdict="IE", message=IMPORTED_UNJUDGED, score=0.0)
            finished = finished or created
        new.append(
            Submission(
                user=user,
                exercise=ex,
                mode=row["mode"],
                status=Submission.Status.DONE,
                created_at=created,
                started_at=_when(row.get("started_at"), f"submissions/{i}/started_at"),
                finished_at=finished,
                **values,
            )
        )
    Submission.objects.bulk_create(new, batch_size=1000)
    report.added_by_kind["submissions"] = len(new)


def _import_jobs(user, rows: list[dict], report: ImportReport) -> None:
    seen = set(LabJob.objects.filter(user=user).values_list("lab", "created_at"))
    new = []
    for i, row in enumerate(rows):
        created = _when(row["created_at"], f"lab_jobs/{i}/created_at")
        if (row["lab"], created) in seen:
            continue
        seen.add((row["lab"], created))
        finished = _when(row.get("finished_at"), f"lab_jobs/{i}/finished_at")
        status, error = row["status"], row.get("error", "")
        failure = labcontract.result_failure(row["lab"], row["result"]) if row.get("result") else None
        if status == LabJob.Status.SUCCEEDED and failure:  # as the site records such a runner's post
            status, error = LabJob.Status.FAILED, failure
        if status not in LabJob.FINISHED:
            # Still queued or running when exported: no runner will ever report on it here.
            status, error, finished = LabJob.Status.FAILED, IMPORTED_UNFINISHED_JOB, finished or created
        new.append(
            LabJob(
                user=user,
                lab=row["lab"],
                queue=row.get("queue", ""),
                params=row.get("params", {}),
                status=status,
                progress=100,
                attempt=row.get("attempt", 1),
                result=row.get("result"),
                error=error,
                system_info=row.get("system_info", {}),
                created_at=created,
                started_at=_when(row.get("started_at"), f"lab_jobs/{i}/started_at"),
                finished_at=finished,
                updated_at=finished or created,
            )
        )
    LabJob.objects.bulk_create(new, batch_size=500)
    report.added_by_kind["lab_jobs"] = len(new)


def _local_key(user, key: str, taken_by: dict[str, int | None]) -> str:
    """A user item's key, or a stable per-user one when another account on this site already uses it."""
    owner = taken_by.get(key)
    if owner is None or owner == user.pk:
        return key
    return f"user/{uuid.uuid5(uuid.NAMESPACE_URL, f'{key}#{user.pk}')}"


def _import_items(
    user, rows: list[dict], articles: dict, skills: dict, report: ImportReport
) -> dict[str, ChecklistItem]:
    keys = [r["key"] for r in rows]
    taken = dict(ChecklistItem.objects.filter(key__in=keys).values_list("key", "user_id"))
    local = {k: _local_key(user, k, taken) for k in keys}
    mine = {i.key: i for i in ChecklistItem.objects.filter(user=user, key__in=list(local.values()))}
    items: dict[str, ChecklistItem] = {}
    added = 0
    for i, row in enumerate(rows):
        item = mine.get(local[row["key"]])
        if item is None:
            item = ChecklistItem.objects.create(
                key=local[row["key"]],
                source=ChecklistItem.Source.USER,
                user=user,
                prompt=row["prompt"],
                answer=row.get("answer", ""),
                article=articles.get(row.get("article") or ""),
                created_at=_when(row.get("created_at"), f"checklist_items/{i}/created_at") or timezone.now(),
            )
            item.skills.set([skills[s] for s in row.get("skills", [])])
            added += 1
        items[row["key"]] = item
    report.added_by_kind["checklist_items"] = added
    return items


def _import_reviews(user, data: dict, items: dict[str, ChecklistItem], report: ImportReport) -> None:
    wanted = {r["item"] for r in data["review_cards"]} | {r["item"] for r in data["review_logs"]}
    content = {i.key: i for i in ChecklistItem.objects.filter(user__isnull=True, key__in=wanted - set(items))}
    items = {**content, **items}
    missing = sorted(wanted - set(items))
    if missing:
        uses = {**_uses(data["review_logs"], "review_logs", "item"),
                **_uses(data["review_cards"], "review_cards", "item")}
        raise RecordError(f"{uses[missing[0]]}: unknown checklist item(s) on this site: {', '.join(missing[:5])}")
    cards = {c.item_id: c for c in ReviewCard.objects.filter(user=user)}
    added = updated = 0
    for i, row in enumerate(data["review_cards"]):
        item = items[row["item"]]
        values = {
            "card": row["card"],
            "due": _when(row["due"], f"review_cards/{i}/due"),
            "state": row.get("state", row["card"].get("state", 1)),
            "stability": row.get("stability"),
            "last_review": _when(row.get("last_review"), f"review_cards/{i}/last_review"),
            "reps": row.get("reps", 0),
        }
        cards[item.id], change = _create_or_update(cards.get(item.id), values, ReviewCard, user=user, item=item)
        added, updated = added + (change == "added"), updated + (change == "updated")
    report.added_by_kind["review_cards"], report.updated_by_kind["review_cards"] = added, updated
    seen = set(ReviewLog.objects.filter(user=user).values_list("card__item_id", "rating", "reviewed_at"))
    new = []
    for i, row in enumerate(data["review_logs"]):
        item = items[row["item"]]
        card = cards.get(item.id)
        if card is None:
            raise RecordError(f"review_logs/{i}/item: no review card for {row['item']!r} in the record")
        at = _when(row["reviewed_at"], f"review_logs/{i}/reviewed_at")
        if (item.id, row["rating"], at) in seen:
            continue
        seen.add((item.id, row["rating"], at))
        new.append(
            ReviewLog(user=user, card=card, rating=row["rating"], reviewed_at=at, duration_ms=row.get("duration_ms"))
        )
    ReviewLog.objects.bulk_create(new, batch_size=1000)
    report.added_by_kind["review_logs"] = len(new)
