"""The one content loader: parse and validate every content file, then upsert rows by slug in one transaction.

Each app contributes a *source* module with `parse(content_dir) -> object` (raising ContentError on the
first bad file, naming file, item and field) and `apply(parsed, sync) -> None`. Then `check_content` reads
the whole tree for what no single source can see (what a reader would trip over: citations of files they
cannot open, links to slugs that do not exist, cards without English, lists that render inline, exercises
no article leads to, articles that lead to no exercise, hands-on articles without their hardware box).
Nothing is written unless every file parses and every check passes.
"""

from __future__ import annotations

import importlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from django.apps import apps
from django.db import models, transaction

import labcontract
from core.versions import bump_content_version

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class ContentError(Exception):
    """A content file is malformed; the message names the file, the item and the field."""

    def __init__(self, path: Path | str, message: str, *, item: str = "", field: str = ""):
        self.path, self.item, self.field = str(path), item, field
        where = self.path
        if item:
            where += f": item '{item}'"
        if field:
            where += f": field '{field}'"
        super().__init__(f"{where}: {message}")


class ContentCheckError(ContentError):
    """Several content checks failed: the first names file, item and field; str() lists every one, a line each."""

    def __init__(self, errors: list[ContentError]):
        first = errors[0]
        self.errors = errors
        Exception.__init__(self, "\n".join(str(e) for e in errors))
        self.path, self.item, self.field = first.path, first.item, first.field


# libyaml's parser where PyYAML was built with it (its wheels are): the same safe loading, its errors marked with
# line and column like the pure-Python one's, and about five times faster on content/'s 300-odd files.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """yaml.safe_load through libyaml."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader


def read_yaml(path: Path) -> Any:
    try:
        return safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContentError(path, f"invalid YAML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ContentError(path, f"not UTF-8: {exc}") from None


def split_front_matter(path: Path) -> tuple[dict, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(path, f"not UTF-8: {exc}") from None
    if not text.startswith("---\n"):
        raise ContentError(path, "missing YAML front matter (the file must start with '---')")
    head, sep, body = text[4:].partition("\n---\n")
    if not sep:
        raise ContentError(path, "front matter is not closed by a '---' line")
    try:
        meta = safe_load(head)
    except yaml.YAMLError as exc:
        raise ContentError(path, f"invalid YAML front matter: {exc}") from None
    return meta, body.strip() + "\n"


def validate(path: Path, data: Any, schema: dict) -> None:
    """Validate with JSON Schema; report the nearest item slug and the dotted field path."""
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return
    item, node, field_parts = "", data, []
    for part in error.absolute_path:
        if isinstance(node, dict) and isinstance(node.get("slug"), str):
            item, field_parts = node["slug"], []
        field_parts.append(str(part))
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    if isinstance(node, dict) and isinstance(node.get("slug"), str):
        item, field_parts = node["slug"], []
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        field_parts.append(missing)
        message = "is required"
    else:
        message = error.message
    raise ContentError(path, message, item=item, field=".".join(p for p in field_parts if p))


def check_refs(path: Path, item: str, field_name: str, refs: Iterable[str], known: set[str]) -> None:
    for ref in refs:
        if ref not in known:
            raise ContentError(path, f"unknown slug '{ref}'", item=item, field=field_name)


def check_unique(path: Path, slugs: Iterable[str], seen: dict[str, Path]) -> None:
    for slug in slugs:
        if slug in seen:
            raise ContentError(path, f"duplicate slug (also in {seen[slug]})", item=slug, field="slug")
        seen[slug] = path


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.archived)


@dataclass
class Sync:
    """Upserts rows keyed by slug, counting what changed; archives rows missing from the files."""

    counts: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))

    def rows(
        self,
        model: type[models.Model],
        rows: list[dict],
        *,
        key: tuple[str, ...] = ("slug",),
        m2m: dict[str, tuple[type[models.Model], str]] | None = None,
        scope: dict | None = None,
        archive_missing: bool = True,
    ) -> dict[tuple, models.Model]:
        """rows: field values (plus m2m fields as lists of slugs). Returns the saved objects by key."""
        m2m = m2m or {}
        counts = self.counts[model._meta.verbose_name_plural]
        existing = {tuple(getattr(o, name) for name in key): o for o in model.objects.filter(**(scope or {}))}
        saved: dict[tuple, models.Model] = {}
        for row in rows:
            values = {k: v for k, v in row.items() if k not in m2m}
            values["archived"] = False
            k = tuple(values[name] for name in key)
            obj = existing.get(k)
            if obj is None:
                obj = model.objects.create(**values)
                self._sync_m2m(obj, row, m2m)
                counts.created += 1
            else:
                diff = {name: v for name, v in values.items() if getattr(obj, name) != v}
                if diff:
                    for name, v in diff.items():
                        setattr(obj, name, v)
                    obj.save(update_fields=list(diff))
                m2m_changed = self._sync_m2m(obj, row, m2m)
                if diff or m2m_changed:
                    counts.updated += 1
                else:
                    counts.unchanged += 1
            saved[k] = obj
        if archive_missing:
            stale = [o.pk for kk, o in existing.items() if kk not in saved and not o.archived]
            if stale:
                counts.archived += model.objects.filter(pk__in=stale).update(archived=True)
        return saved

    @staticmethod
    def _sync_m2m(obj, row: dict, m2m: dict) -> bool:
        changed = False
        for name, (target, target_key) in m2m.items():
            wanted = set(row.get(name, []))
            manager = getattr(obj, name)
            current = set(manager.values_list(target_key, flat=True))
            if wanted != current:
                manager.set(target.objects.filter(**{f"{target_key}__in": wanted}))
                changed = True
        return changed


@dataclass
class LoadReport:
    counts: dict[str, Counts]
    checked_files: int
    warnings: list[ContentError] = field(default_factory=list)  # failures of checks in PENDING_CHECKS

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.counts.values())


def content_sources() -> list[str]:
    """The modules that parse and apply content/, in INSTALLED_APPS order: each app names its own in its
    AppConfig's `content_source` (a later source may refer to what an earlier one loaded)."""
    return [cfg.content_source for cfg in apps.get_app_configs() if getattr(cfg, "content_source", None)]


def load_content(content_dir: Path, *, check_only: bool = False,
                 enforce: Iterable[str] | None = None) -> LoadReport:
    """enforce: the check codes that refuse (default: every check not in PENDING_CHECKS)."""
    parsed = []
    files = 0
    for name in content_sources():
        source = importlib.import_module(name)
        result = source.parse(content_dir)
        files += getattr(result, "file_count", 0)
        parsed.append((source, result))
    enforced = set(CHECKS) - PENDING_CHECKS if enforce is None else set(enforce)
    problems = check_content(content_dir)
    errors = [e for e in problems if e.check in enforced]
    if errors:
        raise ContentCheckError(errors)
    sync = Sync()
    if not check_only:
        with transaction.atomic():
            for source, result in parsed:
                source.apply(result, sync)
            bump_content_version()
    return LoadReport(counts=dict(sync.counts), checked_files=files, warnings=[e for e in problems if e not in errors])


# ---- checks across the content tree ----------------------------------------------------------------------

CHECKS = ("unreadable-citation", "unknown-slug", "english", "inline-list", "unlinked-exercise", "article-exercise",
          "hardware-box")
# Checks computed and reported (LoadReport.warnings) but not yet refusing: empty once the content passes them.
PENDING_CHECKS: frozenset[str] = frozenset()

# Files a reader of the site cannot open: the team's working notes (cite the public source they name).
UNREADABLE = re.compile(r"facts\.md|labs-anchors\.md|\.\./shared")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+\S")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
ADMONITION = re.compile(r"^!!!\s+\w")
INLINE_CODE = re.compile(r"(`+).*?\1")
MD_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)")
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?", re.M)
# A hands-on article's "on your hardware" box: a Python-Markdown admonition of type `hardware` with a title and an
# indented body (content/README.md, kb/).
HARDWARE_BOX = re.compile(r'^!!!\s+hardware\s+"[^"]+"\s*$')
# Site pages content links to by slug: /kb/<slug>/, /practice/<slug>/, /tasks/<slug>/, /skills/<slug>/, ...
SITE_LINK = re.compile(r"^/(kb|practice|tasks|skills|plan|labs/new)/([^/?#]+)/?(?:[?#].*)?$")
SITE_KINDS = {"kb": "article", "practice": "exercise", "tasks": "task", "skills": "skill", "plan": "phase",
              "labs/new": "lab"}


class CheckError(ContentError):
    def __init__(self, check: str, path: Path | str, message: str, *, item: str = "", field: str = ""):
        self.check = check
        super().__init__(path, message, item=item, field=field)


@dataclass
class Text:
    """One field of Markdown (or plain text) a reader sees, and where it came from."""

    path: Path
    item: str
    field: str
    text: str
    markdown: bool = True
    first_line: int = 0  # the text's first line in its file (Markdown files), 0 for a field inside YAML

    def where(self, n: int) -> str:
        return f"line {self.first_line + n - 1}" if self.first_line else f"line {n} of the text"


@dataclass
class ContentIndex:
    slugs: dict[str, set[str]]  # kind -> slugs on disk
    texts: list[Text]
    interviews: list[tuple[Path, str, int, dict]]  # (file, article slug, n, {q, a, q_en, a_en})
    exercise_files: dict[str, Path]
    linked_exercises: set[str]
    articles: list[tuple[Path, str, dict, str]] = field(default_factory=list)  # (file, slug, front matter, body)


def _safe_yaml(path: Path) -> Any:
    try:
        return safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None  # the owning source reports it


def _str_fields(path: Path, item: str, node: dict, names: Iterable[str], prefix: str = "",
                markdown: bool = True) -> Iterator[Text]:
    for name in names:
        value = node.get(name) if isinstance(node, dict) else None
        if isinstance(value, str) and value:
            yield Text(path, item, prefix + name, value, markdown)


def index_content(content_dir: Path) -> ContentIndex:
    """Every slug on disk and every text a reader sees, with its file, item and field."""

    plan = content_dir / "plan"
    slugs: dict[str, set[str]] = {k: set() for k in ("skill", "task", "phase", "resource", "article", "exercise")}
    slugs["lab"] = set(labcontract.LABS)
    texts: list[Text] = []
    for s in _safe_yaml(plan / "skills.yaml") or []:
        if isinstance(s, dict):
            slugs["skill"].add(s.get("slug"))
    for r in _safe_yaml(plan / "resources.yaml") or []:
        if isinstance(r, dict):
            slugs["resource"].add(r.get("slug"))
            texts += _str_fields(plan / "resources.yaml", r.get("slug", ""), r, ("description", "description_en"),
                                 markdown=False)
    for path in sorted(plan.glob("phase-*.yaml")):
        phase = _safe_yaml(path) or {}
        slugs["phase"].add(phase.get("slug"))
        for section in phase.get("sections") or []:
            for task in section.get("tasks") or []:
                slugs["task"].add(task.get("slug"))
                texts += _str_fields(path, task.get("slug", ""), task, ("body",))
    plan_path = plan / "plan.yaml"
    frame = _safe_yaml(plan_path) or {}
    texts += _str_fields(plan_path, "plan-goal", frame, ("goal", "goal_en"))
    texts += _str_fields(plan_path, "hardware-status", frame.get("hardware") or {}, ("status", "status_en"),
                         prefix="hardware.")
    for t in frame.get("timeline") or []:
        texts += _str_fields(plan_path, t.get("slug", ""), t, ("goal", "goal_en"))
    for q in frame.get("questions") or []:
        texts += _str_fields(plan_path, q.get("slug", ""), q, ("answer", "answer_en"))

    interviews = []
    articles = []
    linked: set[str] = set()
    for path in sorted((content_dir / "kb").glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        meta, body = split_front_matter(path)
        slug = meta["slug"]
        slugs["article"].add(slug)
        linked.update(meta.get("exercises") or [])
        whole = path.read_text(encoding="utf-8")
        first = whole[: whole.find(body.strip())].count("\n") + 1 if body.strip() else 0
        texts.append(Text(path, slug, "body", body, first_line=first))
        articles.append((path, slug, meta, body))
        for n, qa in enumerate(meta.get("interview") or [], start=1):
            interviews.append((path, slug, n, qa))
            texts += _str_fields(path, slug, qa, ("q", "a", "q_en", "a_en"), prefix=f"interview.{n}.")

    exercise_files = {}
    for path in sorted(content_dir.glob("exercises/*/*/exercise.yaml")):
        meta = _safe_yaml(path) or {}
        slug = meta.get("slug", path.parent.name)
        slugs["exercise"].add(slug)
        exercise_files[slug] = path
        texts += _str_fields(path, slug, meta, ("statement", "statement_en", "explanation", "explanation_en"))
        for md in sorted(path.parent.glob("*.md")):
            texts.append(Text(md, slug, "body", md.read_text(encoding="utf-8"), first_line=1))
    for t in texts:  # an article's body link to an exercise counts as a link too
        if t.path.suffix == ".md" and t.path.parent.name == "kb":
            linked.update(slug for kind, slug in _site_links(t.text) if kind == "exercise")
    return ContentIndex(slugs, texts, interviews, exercise_files, linked, articles)


def _outside_code(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, line, inside a fenced code block)."""
    fence = ""
    for n, line in enumerate(text.splitlines(), start=1):
        m = FENCE.match(line)
        if m:
            marker = m.group(1)
            if not fence:
                fence = marker
                yield n, line, True
                continue
            if marker[0] == fence[0] and len(marker) >= len(fence):
                fence = ""
                yield n, line, True
                continue
        yield n, line, bool(fence)


def _link_targets(text: str) -> Iterator[tuple[int, str]]:
    for n, line, in_code in _outside_code(text):
        if in_code:
            continue
        line = INLINE_CODE.sub("", line)
        for m in MD_LINK.finditer(line):
            yield n, m.group(1)
        for m in REF_DEF.finditer(line):
            yield n, m.group(1)


def _site_links(text: str) -> Iterator[tuple[str, str]]:
    for _n, target in _link_targets(text):
        m = SITE_LINK.match(target)
        if m:
            yield SITE_KINDS[m.group(1)], m.group(2)


def inline_list_lines(text: str) -> list[int]:
    """Lines that start a list directly after a paragraph line: Markdown renders them as part of the paragraph."""
    bad, prev_blank, in_list = [], True, False
    for n, raw, in_code in _outside_code(text):
        if in_code:  # a list straight after a closing fence renders inline too, even inside a list
            prev_blank, in_list = False, False
            continue
        line = re.sub(r"^(\s{0,3}>\s?)+", "", raw)  # inside a block quote the same rule holds
        if not line.strip():
            prev_blank = True
            continue
        if LIST_ITEM.match(line):
            if not prev_blank and not in_list:
                bad.append(n)
            in_list = True
        elif HEADING.match(line) or ADMONITION.match(line):
            in_list = False
            prev_blank = True  # a heading (or a box's `!!!` line) is a block of its own: a list may follow it directly
            continue
        elif prev_blank and not line[:1].isspace():
            in_list = False  # a new top-level paragraph ends the list
        prev_blank = False
    return bad


def _static_file_exists(target: str) -> bool:
    """/static/<path> (a diagram an article shows) names a file in one of STATICFILES_DIRS."""
    from django.conf import settings

    rel = target[len("/static/"):].split("#", 1)[0].split("?", 1)[0]
    if not rel or ".." in Path(rel).parts:
        return False
    return any((Path(d) / rel).is_file() for d in settings.STATICFILES_DIRS)


def hardware_box_lines(text: str) -> list[int]:
    """Lines opening a `!!! hardware "..."` box (outside code fences) whose next line is indented body text."""
    lines = text.splitlines()
    found = []
    for n, line, in_code in _outside_code(text):
        if in_code or not HARDWARE_BOX.match(line):
            continue
        body = next((rest for rest in lines[n:] if rest.strip()), "")
        if body.startswith("    ") and body.strip():
            found.append(n)
    return found


def check_content(content_dir: Path) -> list[CheckError]:
    """Every problem a reader would meet, each naming file, item and field; [] when the content is sound."""
    index = index_content(content_dir)
    errors: list[CheckError] = []
    for t in index.texts:
        for n, line in enumerate(t.text.splitlines(), start=1):
            m = UNREADABLE.search(line)
            if m:
                errors.append(CheckError("unreadable-citation", t.path, f"{t.where(n)} cites '{m.group(0)}', a file "
                                         "readers cannot open: cite the public source it names (paper, README, "
                                         "docs page, source file)", item=t.item, field=t.field))
        if not t.markdown:
            continue
        for n, target in _link_targets(t.text):
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("#"):
                continue
            site = SITE_LINK.match(target)
            if site:
                kind, slug = SITE_KINDS[site.group(1)], site.group(2)
                if slug not in index.slugs[kind]:
                    errors.append(CheckError("unknown-slug", t.path, f"{t.where(n)} links {target}: no {kind} "
                                             f"'{slug}' exists", item=t.item, field=t.field))
                continue
            if target.startswith("/static/"):
                if not _static_file_exists(target):
                    errors.append(CheckError("unreadable-citation", t.path, f"{t.where(n)} links '{target}', a static "
                                             "file that does not exist (put it under static/)", item=t.item,
                                             field=t.field))
                continue
            if target.startswith("/"):
                continue  # another page of the site
            local = (t.path.parent / target.split("#", 1)[0]).resolve()
            if not local.exists():
                errors.append(CheckError("unreadable-citation", t.path, f"{t.where(n)} links '{target}', a file that "
                                         "does not exist", item=t.item, field=t.field))
        for n in inline_list_lines(t.text):
            errors.append(CheckError("inline-list", t.path, f"{t.where(n)} starts a list straight after a paragraph "
                                     "line, so it renders inline: put a blank line before the list",
                                     item=t.item, field=t.field))
    for path, slug, n, qa in index.interviews:
        for name in ("q_en", "a_en"):
            if not str(qa.get(name) or "").strip():
                errors.append(CheckError("english", path, "interview card has no English: add q_en and a_en",
                                         item=slug, field=f"interview.{n}.{name}"))
    for path, slug, meta, body in index.articles:
        own = set(meta.get("exercises") or []) | {s for kind, s in _site_links(body) if kind == "exercise"}
        if not own:
            errors.append(CheckError("article-exercise", path, "the article leads to no exercise: list one under "
                                     "`exercises` (or link /practice/<slug>/ in the body)", item=slug,
                                     field="exercises"))
        if meta.get("hands_on") and not hardware_box_lines(body):
            errors.append(CheckError("hardware-box", path, "hands-on article (hands_on: true) has no hardware box: "
                                     "add a `!!! hardware \"在你的硬件上\"` block with an indented body (8 GB laptop "
                                     "card, rented 24 GB card, two GPUs)", item=slug, field="body"))
    for slug, path in index.exercise_files.items():
        if slug not in index.linked_exercises:
            errors.append(CheckError("unlinked-exercise", path, "no knowledge-base article links this exercise: "
                                     "list it under an article's `exercises`", item=slug, field="slug"))
    return errors
