"""Content source for the knowledge base: content/kb/*.md (YAML front matter + Markdown) -> Article rows,
interview checklist items (articles' Q&A and the plan's 附加问题) and the shared search index."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.content_loader import (
    SLUG_PATTERN,
    ContentError,
    Sync,
    check_refs,
    check_unique,
    safe_load,
    split_front_matter,
    validate,
)
from tracker.models import PlanNote, Skill, Task

from .models import LABS, Article, ChecklistItem, SearchDoc

SLUG = {"type": "string", "pattern": SLUG_PATTERN}
SLUGS = {"type": "array", "items": SLUG}
TEXT = {"type": "string", "minLength": 1}

FRONT_MATTER_SCHEMA = {
    "type": "object",
    "required": ["slug", "title", "skills"],
    "additionalProperties": False,
    "properties": {
        "slug": SLUG, "title": TEXT, "title_en": {"type": "string"},
        "skills": {**SLUGS, "minItems": 1}, "tasks": SLUGS, "exercises": SLUGS,
        "hands_on": {"type": "boolean"},  # the learner runs it on a GPU: the body needs a `!!! hardware` box
        "labs": {"type": "array", "items": {"enum": list(LABS)}},
        "interview": {
            "type": "array",
            "items": {"type": "object", "required": ["q", "a"], "additionalProperties": False,
                      "properties": {"q": TEXT, "a": TEXT, "q_en": {"type": "string"}, "a_en": {"type": "string"}}},
        },
    },
}


@dataclass
class KnowledgeContent:
    articles: list[dict] = field(default_factory=list)
    file_count: int = 0


def _yaml_slugs(paths: list[Path], key: str = "slug") -> set[str]:
    out = set()
    for p in paths:
        try:
            data = safe_load(p.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue  # the owning source reports malformed files
        if isinstance(data, dict) and isinstance(data.get(key), str):
            out.add(data[key])
    return out


def _plan_slugs(content_dir: Path) -> tuple[set[str], set[str]]:
    """Skill and task slugs as written in content/plan (checked against the files, not the database)."""
    plan = content_dir / "plan"
    skills = safe_load((plan / "skills.yaml").read_text(encoding="utf-8")) or []
    tasks: set[str] = set()
    for p in sorted(plan.glob("phase-*.yaml")):
        phase = safe_load(p.read_text(encoding="utf-8")) or {}
        for section in phase.get("sections") or []:
            tasks.update(t.get("slug") for t in section.get("tasks") or [] if isinstance(t, dict))
    return {s.get("slug") for s in skills if isinstance(s, dict)}, tasks


def parse(content_dir: Path) -> KnowledgeContent:
    kb = content_dir / "kb"
    out = KnowledgeContent()
    paths = sorted(kb.glob("*.md"))
    paths = [p for p in paths if p.name.lower() != "readme.md"]
    skill_slugs, task_slugs = _plan_slugs(content_dir)
    exercise_slugs = _yaml_slugs(sorted(content_dir.glob("exercises/*/*/exercise.yaml")))
    seen: dict[str, Path] = {}
    for order, path in enumerate(paths):
        meta, body = split_front_matter(path)
        validate(path, meta, FRONT_MATTER_SCHEMA)
        slug = meta["slug"]
        if path.stem != slug:
            raise ContentError(path, f"file name must be {slug}.md", item=slug, field="slug")
        check_unique(path, [slug], seen)
        check_refs(path, slug, "skills", meta["skills"], skill_slugs)
        check_refs(path, slug, "tasks", meta.get("tasks", []), task_slugs)
        check_refs(path, slug, "exercises", meta.get("exercises", []), exercise_slugs)
        out.articles.append({**meta, "body": body, "order": order})
        out.file_count += 1
    return out


def apply(parsed: KnowledgeContent, sync: Sync) -> None:
    from practice.models import Exercise

    # Exercise slugs were checked against the files; link those the practice source has loaded.
    in_db = set(Exercise.objects.live().values_list("slug", flat=True))
    rows = [{"slug": a["slug"], "title": a["title"], "title_en": a.get("title_en", ""), "body": a["body"],
             "labs": a.get("labs", []), "order": a["order"], "skills": a["skills"], "tasks": a.get("tasks", []),
             "exercises": [e for e in a.get("exercises", []) if e in in_db]} for a in parsed.articles]

    articles = sync.rows(Article, rows, m2m={"skills": (Skill, "slug"), "tasks": (Task, "slug"),
                                             "exercises": (Exercise, "slug")})
    _apply_checklist(parsed, sync, {k[0]: a for k, a in articles.items()})
    rebuild_content_index()


def _apply_checklist(parsed: KnowledgeContent, sync: Sync, articles: dict[str, Article]) -> None:
    items: list[dict] = []
    notes = PlanNote.objects.live().filter(kind=PlanNote.Kind.QUESTION).prefetch_related("skills")
    for note in notes:
        items.append({"key": f"plan/{note.slug}", "source": ChecklistItem.Source.PLAN, "plan_note": note,
                      "article": None, "order": note.order, "prompt": note.title, "prompt_en": note.title_en,
                      "answer": note.body, "answer_en": note.body_en, "links": note.links,
                      "skills": [s.slug for s in note.skills.all()]})
    for a in parsed.articles:
        for n, qa in enumerate(a.get("interview", []), start=1):
            items.append({"key": f"article/{a['slug']}/{n}", "source": ChecklistItem.Source.ARTICLE,
                          "plan_note": None, "article": articles[a["slug"]], "order": 1000 + a["order"] * 50 + n,
                          "prompt": qa["q"], "prompt_en": qa.get("q_en", ""), "answer": qa["a"],
                          "answer_en": qa.get("a_en", ""), "links": [], "skills": a["skills"]})
    sync.rows(ChecklistItem, items, key=("key",), m2m={"skills": (Skill, "slug")}, scope={"user__isnull": True})


def rebuild_content_index() -> None:
    """Re-index every live article, task and exercise; archived ones leave the index."""
    from practice.models import Exercise

    from .search import plain_text, refresh_vectors, segment

    wanted = []
    for a in Article.objects.live():
        wanted.append(("article", a.id, a.slug, a.title, f"{a.title_en} {plain_text(a.body)}"))
    for t in Task.objects.live():
        wanted.append(("task", t.id, t.slug, t.title, f"{t.title_en} {plain_text(t.body)}"))
    for e in Exercise.objects.live():
        wanted.append(("exercise", e.id, e.slug, e.title, f"{e.title_en} {plain_text(e.statement)}"))
    shared = SearchDoc.objects.filter(kind__in=["article", "task", "exercise"])
    existing = {(d.kind, d.object_id): d for d in shared.defer("vector")}
    keep, changed = set(), []
    for kind, oid, slug, title, text in wanted:
        keep.add((kind, oid))
        doc = existing.get((kind, oid)) or SearchDoc(kind=kind, object_id=oid)
        if doc.pk and (doc.slug, doc.title, doc.text) == (slug, title, text):
            continue
        doc.slug, doc.title, doc.text = slug, title, text
        doc.title_terms, doc.text_terms = segment(title), segment(text)
        doc.save()
        changed.append(doc.pk)
    stale = [d.pk for k, d in existing.items() if k not in keep]
    SearchDoc.objects.filter(pk__in=stale).delete()
    if changed:
        refresh_vectors(SearchDoc.objects.filter(pk__in=changed))
