"""The models the planner offers: their published config.json files kept under planner/data/, each with the
address it was copied from. Read once per process (plain files, no database)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from planner.capacity import ModelShape, shape_from_config

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class CatalogModel:
    slug: str
    name: str
    repo: str
    source: str  # the config.json's public address
    note: str
    note_zh: str
    config: dict[str, Any]

    @property
    def shape(self) -> ModelShape:
        return shape_from_config(self.config)


@cache
def models() -> tuple[CatalogModel, ...]:
    index = json.loads((DATA / "models.json").read_text(encoding="utf-8"))
    return tuple(CatalogModel(row["slug"], row["name"], row["repo"], row["source"], row["note"], row["note_zh"],
                              json.loads((DATA / row["file"]).read_text(encoding="utf-8"))) for row in index)


def model(slug: str) -> CatalogModel:
    for m in models():
        if m.slug == slug:
            return m
    raise KeyError(slug)
