"""Content source for the plan: content/plan/{skills,resources,plan,phase-N}.yaml -> tracker rows.

Plan questions link to knowledge-base articles by slug; their titles are read here from the articles' front
matter so that a question's links render without a query (the knowledge source validates the articles).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.content_loader import (
    SLUG_PATTERN,
    ContentError,
    Sync,
    check_refs,
    check_unique,
    read_yaml,
    split_front_matter,
    validate,
)

from .models import Phase, PlanNote, Resource, Section, Skill, Task

SLUG = {"type": "string", "pattern": SLUG_PATTERN}
TEXT = {"type": "string", "minLength": 1}
OPT_TEXT = {"type": "string"}
SLUGS = {"type": "array", "items": SLUG}
URL = {"type": "string", "pattern": r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$"}

SKILLS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["slug", "name", "name_en"],
        "additionalProperties": False,
        "properties": {"slug": SLUG, "name": TEXT, "name_en": TEXT, "description": OPT_TEXT,
                       "description_en": OPT_TEXT},
    },
}

RESOURCES_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["slug", "title", "type", "url"],
        "additionalProperties": False,
        "properties": {
            "slug": SLUG, "title": TEXT, "title_en": OPT_TEXT,
            "type": {"enum": [c.value for c in Resource.Type]},
            "url": URL,
            "phases": SLUGS, "description": OPT_TEXT, "description_en": OPT_TEXT,
            "key": {"type": "boolean"},
        },
    },
}

TASK_SCHEMA = {
    "type": "object",
    "required": ["slug", "kind", "title", "title_en"],
    "additionalProperties": False,
    "properties": {
        "slug": SLUG, "kind": {"enum": [c.value for c in Task.Kind]}, "title": TEXT, "title_en": TEXT,
        "body": OPT_TEXT, "skills": SLUGS, "resources": SLUGS,
    },
}

PHASE_SCHEMA = {
    "type": "object",
    "required": ["slug", "order", "title", "title_en", "start_week", "weeks", "sections"],
    "additionalProperties": False,
    "properties": {
        "slug": SLUG, "order": {"type": "integer", "minimum": 1}, "title": TEXT, "title_en": TEXT,
        "duration": OPT_TEXT, "duration_en": OPT_TEXT,
        "start_week": {"type": "integer", "minimum": 0}, "weeks": {"type": "integer", "minimum": 1},
        "sections": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["slug", "number", "title", "title_en", "tasks"],
                "additionalProperties": False,
                "properties": {
                    "slug": SLUG, "number": {"type": "integer", "minimum": 1}, "title": TEXT, "title_en": TEXT,
                    "tutorial": OPT_TEXT, "tutorial_en": OPT_TEXT,
                    "chapters": {
                        "type": "array",
                        "items": {"type": "object", "required": ["title", "title_en", "url", "url_en"],
                                  "additionalProperties": False,
                                  "properties": {"title": TEXT, "title_en": TEXT, "url": URL, "url_en": URL}},
                    },
                    "tasks": {"type": "array", "minItems": 1, "items": TASK_SCHEMA},
                },
            },
        },
    },
}

NOTE = {
    "type": "object",
    "required": ["slug", "title"],
    "properties": {"slug": SLUG, "title": TEXT, "title_en": OPT_TEXT},
}

PLAN_SCHEMA = {
    "type": "object",
    "required": ["title", "title_en", "goal", "goal_en", "hardware", "timeline", "questions"],
    "additionalProperties": False,
    "properties": {
        "title": TEXT, "title_en": TEXT, "goal": TEXT, "goal_en": TEXT,
        "hardware": {
            "type": "object",
            "required": ["status", "solutions"],
            "properties": {"status": TEXT, "status_en": OPT_TEXT, "solutions": {"type": "array", "items": NOTE}},
        },
        "timeline": {
            "type": "array",
            "items": {**NOTE, "required": ["slug", "title", "months"],
                      "properties": {**NOTE["properties"], "goal": OPT_TEXT, "goal_en": OPT_TEXT,
                                     "months": {"type": "string", "pattern": r"^[0-9]+(-[0-9]+|\+)$"}}},
        },
        "questions": {
            "type": "array",
            "items": {
                **NOTE,
                "required": ["slug", "title", "title_en", "answer", "answer_en"],
                "properties": {**NOTE["properties"], "number": {"type": "integer"}, "answer": TEXT,
                               "answer_en": TEXT, "skills": SLUGS, "articles": SLUGS, "tasks": SLUGS},
            },
        },
    },
}


@dataclass
class PlanContent:
    skills: list[dict] = field(default_factory=list)
    resources: list[dict] = field(default_factory=list)
    phases: list[dict] = field(default_factory=list)  # each with "_sections": [{..., "_tasks": [...]}]
    notes: list[dict] = field(default_factory=list)
    file_count: int = 0


def _load(path: Path, schema: dict):
    if not path.exists():
        raise ContentError(path, "file is missing")
    data = read_yaml(path)
    validate(path, data, schema)
    return data


def parse(content_dir: Path) -> PlanContent:
    plan_dir = content_dir / "plan"
    out = PlanContent()
    skills_path = plan_dir / "skills.yaml"
    skills = _load(skills_path, SKILLS_SCHEMA)
    check_unique(skills_path, [s["slug"] for s in skills], {})
    out.skills = [{**s, "order": i} for i, s in enumerate(skills)]
    skill_slugs = {s["slug"] for s in skills}

    phase_paths = sorted(plan_dir.glob("phase-*.yaml"))
    if not phase_paths:
        raise ContentError(plan_dir, "no phase-*.yaml files")
    phases = [(p, _load(p, PHASE_SCHEMA)) for p in phase_paths]
    phase_slugs: dict[str, Path] = {}
    for path, phase in phases:
        check_unique(path, [phase["slug"]], phase_slugs)

    res_path = plan_dir / "resources.yaml"
    resources = _load(res_path, RESOURCES_SCHEMA)
    check_unique(res_path, [r["slug"] for r in resources], {})
    for r in resources:
        check_refs(res_path, r["slug"], "phases", r.get("phases", []), set(phase_slugs))
    out.resources = resources
    resource_slugs = {r["slug"] for r in resources}

    task_slugs: dict[str, Path] = {}
    task_titles: dict[str, tuple[str, str]] = {}
    for path, phase in phases:
        section_slugs: dict[str, Path] = {}
        for section in phase["sections"]:
            check_unique(path, [section["slug"]], section_slugs)
            for order, task in enumerate(section["tasks"]):
                check_unique(path, [task["slug"]], task_slugs)
                check_refs(path, task["slug"], "skills", task.get("skills", []), skill_slugs)
                check_refs(path, task["slug"], "resources", task.get("resources", []), resource_slugs)
                task["order"] = order
                task_titles[task["slug"]] = (task["title"], task["title_en"])
        out.phases.append(phase)

    plan_path = plan_dir / "plan.yaml"
    plan = _load(plan_path, PLAN_SCHEMA)
    articles = _article_titles(content_dir)
    for q in plan["questions"]:
        check_refs(plan_path, q["slug"], "tasks", q.get("tasks", []), set(task_titles))
        check_refs(plan_path, q["slug"], "articles", q.get("articles", []), set(articles))
    out.notes = _notes(plan, articles, task_titles)
    for note in out.notes:
        check_refs(plan_path, note["slug"], "skills", note.get("skills", []), skill_slugs)
    check_unique(plan_path, [n["slug"] for n in out.notes], {})
    out.file_count = len(phase_paths) + 3
    return out


def _article_titles(content_dir: Path) -> dict[str, tuple[str, str]]:
    """slug -> (title, title_en) from content/kb front matter (a malformed file is reported by its own source)."""

    out = {}
    for path in sorted((content_dir / "kb").glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            meta, _body = split_front_matter(path)
        except ContentError:
            continue
        if isinstance(meta, dict) and isinstance(meta.get("slug"), str):
            out[meta["slug"]] = (str(meta.get("title", meta["slug"])), str(meta.get("title_en", "")))
    return out


def _links(q: dict, articles: dict[str, tuple[str, str]], tasks: dict[str, tuple[str, str]]) -> list[dict]:
    return ([{"kind": "article", "slug": s, "title": articles[s][0], "title_en": articles[s][1]}
             for s in q.get("articles", [])]
            + [{"kind": "task", "slug": s, "title": tasks[s][0], "title_en": tasks[s][1]} for s in q.get("tasks", [])])


def _notes(plan: dict, articles: dict[str, tuple[str, str]], tasks: dict[str, tuple[str, str]]) -> list[dict]:
    hw = plan["hardware"]
    notes = [{"slug": "plan-title", "kind": PlanNote.Kind.TITLE, "order": 0, "title": plan["title"],
              "title_en": plan["title_en"], "body": "", "body_en": ""},
             {"slug": "plan-goal", "kind": PlanNote.Kind.GOAL, "order": 0, "title": "计划目标", "title_en": "Goal",
              "body": plan["goal"], "body_en": plan["goal_en"]},
             {"slug": "hardware-status", "kind": PlanNote.Kind.HARDWARE, "order": 0, "title": "硬件资源评估",
              "title_en": "Hardware assessment", "body": hw["status"], "body_en": hw.get("status_en", "")}]
    for i, s in enumerate(hw["solutions"]):
        notes.append({"slug": s["slug"], "kind": PlanNote.Kind.SOLUTION, "order": i, "title": s["title"],
                      "title_en": s.get("title_en", ""), "body": "", "body_en": ""})
    for i, t in enumerate(plan["timeline"]):
        notes.append({"slug": t["slug"], "kind": PlanNote.Kind.TIMELINE, "order": i, "title": t["title"],
                      "title_en": t.get("title_en", ""), "body": t.get("goal", ""), "body_en": t.get("goal_en", ""),
                      "months": t["months"]})
    for i, q in enumerate(plan["questions"]):
        notes.append({"slug": q["slug"], "kind": PlanNote.Kind.QUESTION, "order": q.get("number", i + 1),
                      "title": q["title"], "title_en": q["title_en"], "body": q["answer"],
                      "body_en": q["answer_en"], "skills": q.get("skills", []), "links": _links(q, articles, tasks)})
    return notes


TASK_FIELDS = ("slug", "kind", "title", "title_en", "body", "skills", "resources", "order")


def apply(content: PlanContent, sync: Sync) -> None:
    sync.rows(Skill, content.skills)
    phase_rows = [{k: v for k, v in p.items() if k != "sections"} for p in content.phases]
    for row in phase_rows:
        row.setdefault("duration", "")
        row.setdefault("duration_en", "")
    phases = {k[0]: v for k, v in sync.rows(Phase, phase_rows).items()}
    resource_rows = [{"title_en": "", "description": "", "description_en": "", "phases": [], "key": False, **r}
                     for r in content.resources]
    sync.rows(Resource, resource_rows, m2m={"phases": (Phase, "slug")})
    task_rows = []
    for p in content.phases:
        phase = phases[p["slug"]]
        section_rows = [{"phase": phase, "slug": s["slug"], "number": s["number"], "title": s["title"],
                         "title_en": s["title_en"], "tutorial": s.get("tutorial", ""),
                         "tutorial_en": s.get("tutorial_en", ""), "tutorial_links": s.get("chapters", [])}
                        for s in p["sections"]]
        sections = sync.rows(Section, section_rows, key=("phase", "slug"), scope={"phase": phase})
        for s in p["sections"]:
            for t in s["tasks"]:
                row = {"body": "", "skills": [], "resources": [], **{k: t[k] for k in TASK_FIELDS if k in t}}
                task_rows.append({**row, "phase": phase, "section": sections[(phase, s["slug"])]})
    # Phases missing from the files archive their sections too.
    Section.objects.exclude(phase__in=phases.values()).filter(archived=False).update(archived=True)
    sync.rows(Task, task_rows, m2m={"skills": (Skill, "slug"), "resources": (Resource, "slug")})
    sync.rows(PlanNote, [{"skills": [], "months": "", "links": [], **n} for n in content.notes],
              m2m={"skills": (Skill, "slug")})
