"""The one content loader: parse and validate every content file, then upsert rows by slug in one transaction.

Each app contributes a *source* module with `parse(content_dir) -> object` (raising ContentError on the
first bad file, naming file, item and field) and `apply(parsed, sync) -> None`. Nothing is written unless
every file parses.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from django.db import models, transaction

SOURCES = ["tracker.content_plan", "practice.content", "knowledge.content"]
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


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContentError(path, f"invalid YAML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ContentError(path, f"not UTF-8: {exc}") from None


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

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.counts.values())


def load_content(content_dir: Path, *, check_only: bool = False) -> LoadReport:
    parsed = []
    files = 0
    for name in SOURCES:
        source = importlib.import_module(name)
        result = source.parse(content_dir)
        files += getattr(result, "file_count", 0)
        parsed.append((source, result))
    sync = Sync()
    if not check_only:
        with transaction.atomic():
            for source, result in parsed:
                source.apply(result, sync)
    return LoadReport(counts=dict(sync.counts), checked_files=files)
