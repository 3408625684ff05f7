"""Content source for exercises: content/exercises/{algo,attention,numeric}/<slug>/ -> practice.Exercise rows.

Hidden tests come from the committed tests.json; complexity inputs are produced here, once, from the
exercise's own seeded generator (trusted project content, never learners' code).
"""

from __future__ import annotations

import importlib.util
import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from core.content_loader import SLUG_PATTERN, ContentError, Sync, check_refs, check_unique, read_yaml, validate
from tracker.models import Skill

SEED = 20260101
SLUG = {"type": "string", "pattern": SLUG_PATTERN}
TEXT = {"type": "string", "minLength": 1}
EXAMPLE = {"type": "object", "required": ["args", "expected"], "properties": {"args": {"type": "array"}}}
TOLERANCE = {"type": "object", "properties": {"rel": {"type": "number", "minimum": 0},
                                              "abs": {"type": "number", "minimum": 0}},
             "additionalProperties": False}

COMMON = {
    "slug": SLUG, "kind": {"enum": ["algorithm", "attention", "numeric"]}, "title": TEXT, "title_en": TEXT,
    "difficulty": {"enum": ["easy", "medium", "hard"]}, "skills": {"type": "array", "items": SLUG, "minItems": 1},
    "statement": TEXT, "statement_en": {"type": "string"}, "tolerance": TOLERANCE,
}

CODE_SCHEMA = {
    "type": "object",
    "required": ["slug", "kind", "title", "title_en", "difficulty", "skills", "statement", "entry", "signature",
                 "limits", "checker", "examples"],
    "additionalProperties": False,
    "properties": {
        **COMMON,
        "kind": {"enum": ["algorithm", "attention"]},
        "entry": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
        "signature": TEXT,
        "numpy_args": {"type": "boolean"},
        "limits": {"type": "object", "required": ["time_s", "memory_mb"], "additionalProperties": False,
                   "properties": {"time_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 60},
                                  "memory_mb": {"type": "integer", "minimum": 32, "maximum": 4096}}},
        "checker": {"enum": ["exact", "float", "custom"]},
        "examples": {"type": "array", "minItems": 1, "items": EXAMPLE},
        "complexity": {"type": "object", "required": ["measure", "sizes", "bound", "max_exponent"],
                       "properties": {"measure": {"enum": ["peak_memory"]},
                                      "sizes": {"type": "array", "minItems": 3, "items": {"type": "integer"}},
                                      "bound": TEXT, "max_exponent": {"type": "number"}}},
    },
}

NUMERIC_SCHEMA = {
    "type": "object",
    "required": ["slug", "kind", "title", "title_en", "difficulty", "skills", "statement", "answer", "tolerance",
                 "explanation"],
    "additionalProperties": False,
    "properties": {**COMMON, "kind": {"const": "numeric"}, "answer": {"type": "number"},
                   "unit": {"type": "string"}, "explanation": TEXT, "explanation_en": {"type": "string"},
                   "examples": {"type": "array"},
                   # answers a learner plausibly gets by a named mistake: each must be refused by the tolerance
                   "wrong_answers": {"type": "array", "items": {
                       "type": "object", "required": ["value", "why"], "additionalProperties": False,
                       "properties": {"value": {"type": "number"}, "why": TEXT, "why_en": {"type": "string"}}}}},
}

TESTS_SCHEMA = {
    "type": "object",
    "required": ["tests"],
    "properties": {"tests": {"type": "array", "minItems": 1, "items": EXAMPLE}},
}


@dataclass
class ExerciseContent:
    rows: list[dict] = field(default_factory=list)
    file_count: int = 0


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _complexity_args(folder: Path, meta: dict) -> list[list]:
    gen_path = folder / "generator.py"
    try:
        sized = _module(gen_path, f"gen_{folder.name.replace('-', '_')}").sized
    except (FileNotFoundError, AttributeError):
        raise ContentError(gen_path, "complexity needs generator.py with sized(rng, n)", item=meta["slug"],
                           field="complexity") from None
    rng = random.Random(SEED + 7)
    return [sized(rng, n) for n in meta["complexity"]["sizes"]]


def _parse_code(folder: Path, meta: dict, path: Path) -> dict:
    validate(path, meta, CODE_SCHEMA)
    tests_path = folder / "tests.json"
    if not tests_path.exists():
        raise ContentError(tests_path, "missing: run python -m content.build_tests " + str(folder), item=meta["slug"])
    try:
        tests = json.loads(tests_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ContentError(tests_path, f"invalid JSON: {exc}", item=meta["slug"]) from None
    validate(tests_path, tests, TESTS_SCHEMA)
    checker_source = ""
    if meta["checker"] == "custom":
        checker_path = folder / "checker.py"
        if not checker_path.exists():
            raise ContentError(checker_path, "checker: custom needs checker.py", item=meta["slug"], field="checker")
        checker_source = checker_path.read_text(encoding="utf-8")
    if meta["checker"] == "float" and "tolerance" not in meta:
        raise ContentError(path, "is required for checker: float", item=meta["slug"], field="tolerance")
    complexity = meta.get("complexity")
    return {
        "entry": meta["entry"], "signature": meta["signature"], "time_s": float(meta["limits"]["time_s"]),
        "memory_mb": meta["limits"]["memory_mb"], "checker": meta["checker"], "checker_source": checker_source,
        "tolerance": meta.get("tolerance", {}), "numpy_args": meta.get("numpy_args", False),
        "examples": meta["examples"], "tests": tests["tests"], "complexity": complexity,
        "complexity_args": _complexity_args(folder, meta) if complexity else None,
        "answer": None, "unit": "", "explanation": "", "explanation_en": "",
    }


def parse(content_dir: Path) -> ExerciseContent:
    out = ExerciseContent()
    skills = {s["slug"] for s in read_yaml(content_dir / "plan" / "skills.yaml") or [] if isinstance(s, dict)}
    seen: dict[str, Path] = {}
    folders = sorted(p.parent for p in (content_dir / "exercises").glob("*/*/exercise.yaml"))
    for order, folder in enumerate(folders):
        path = folder / "exercise.yaml"
        meta = read_yaml(path)
        if not isinstance(meta, dict):
            raise ContentError(path, "must be a mapping")
        validate(path, meta, NUMERIC_SCHEMA if meta.get("kind") == "numeric" else CODE_SCHEMA)
        if meta["slug"] != folder.name:
            raise ContentError(path, f"must equal the folder name '{folder.name}'", item=meta["slug"], field="slug")
        check_unique(path, [meta["slug"]], seen)
        check_refs(path, meta["slug"], "skills", meta["skills"], skills)
        row = {
            "slug": meta["slug"], "kind": meta["kind"], "order": order, "title": meta["title"],
            "title_en": meta["title_en"], "difficulty": meta["difficulty"], "skills": meta["skills"],
            "statement": meta["statement"], "statement_en": meta.get("statement_en", ""),
        }
        if meta["kind"] == "numeric":
            _check_wrong_answers(path, meta)
            row.update({
                "entry": "", "signature": "", "time_s": 0.0, "memory_mb": 0, "checker": "float", "checker_source": "",
                "tolerance": meta["tolerance"], "numpy_args": False, "examples": [], "tests": [],
                "complexity": None, "complexity_args": None, "answer": float(meta["answer"]),
                "unit": meta.get("unit", ""), "explanation": meta["explanation"],
                "explanation_en": meta.get("explanation_en", ""),
            })
        else:
            row.update(_parse_code(folder, meta, path))
        out.rows.append(row)
    out.file_count = len(folders)
    return out


def _check_wrong_answers(path: Path, meta: dict) -> None:
    """A known-wrong answer the submission check (practice.services._numeric_submit) would accept means the
    tolerance is too loose for the mistake it names."""
    tol = meta["tolerance"]
    for i, wrong in enumerate(meta.get("wrong_answers") or []):
        if math.isclose(wrong["value"], meta["answer"], rel_tol=tol.get("rel", 1e-9), abs_tol=tol.get("abs", 0.0)):
            raise ContentError(path, f"known-wrong answer {wrong['value']} ({wrong['why']}) is within the tolerance of "
                               f"the answer {meta['answer']}", item=meta["slug"], field=f"wrong_answers.{i}.value")


def apply(content: ExerciseContent, sync: Sync) -> None:
    from .models import Exercise

    sync.rows(Exercise, content.rows, m2m={"skills": (Skill, "slug")})
