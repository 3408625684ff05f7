"""The site's one description of each lab, gathered from labs/kinds/ (one module per lab): what it is called,
which queues (and so which runner capability) it may run on, which skills it evidences, how its form fields are
labelled, and how a result becomes what the learner reads (tables, bar and line charts, a heatmap, the headline
figures tracked across runs, one evidence line). The job page, the history chart, the dashboard and the skill
pages all read a lab through here.

A lab's contract is labcontract/labs/<module>.py, its measurement gpu_runner/labs/<module>, its page
labs/kinds/<module>.py; tests/test_lab_registry.py keeps the three naming the same labs.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

import labcontract

from . import charts, kinds, noise
from .kinds import COMMON_LABELS, Lab

# What a runner must have to consume each queue: the job page names it when no usable runner has it.
QUEUE_NEEDS: Mapping[str, Promise] = {"lab.cpu": _("CPU"), "lab.cuda": _("CUDA GPU"), "lab.vllm": _("vLLM")}


def _discover() -> dict[str, Lab]:
    found = {}
    for info in pkgutil.iter_modules(kinds.__path__):
        lab = importlib.import_module(f"{kinds.__name__}.{info.name}").KIND
        if lab.slug.replace("-", "_") != info.name:
            raise ImportError(f"labs.kinds.{info.name} describes lab {lab.slug!r}")
        found[lab.slug] = dataclasses.replace(lab, queues=labcontract.LAB_QUEUES.get(lab.slug, ()))
    # In the contract's order (the catalogue lists them so); a test asserts both name the same labs.
    return {slug: found[slug] for slug in labcontract.LABS if slug in found} | found


LABS: dict[str, Lab] = _discover()
__all__ = ["COMMON_LABELS", "LABS", "Lab", "QUEUE_NEEDS", "get", "headline", "labs_evidencing", "summary", "title"]


def get(slug: str) -> Lab | None:
    """The lab, or None for one this site does not know (a job imported from a newer site)."""
    return LABS.get(slug)


def title(slug: str) -> str:
    lab = LABS.get(slug)
    return str(lab.title) if lab else slug


def labs_evidencing(skill_slug: str) -> list[Lab]:
    return [lab for lab in LABS.values() if skill_slug in lab.skills]


def summary(slug: str, result: dict | None) -> dict:
    """What a job's page and the dashboard show of a result. A lab this site does not know is shown as its raw
    JSON, never a 500."""
    lab = LABS.get(slug)
    if lab is None:
        return charts.unknown_view(result)
    result = result or {}
    figures = [{"label": name, "value": value, "unit": unit, "name": lab.headline_names}
               for name, (value, unit) in lab.headline(result).items()]
    view = {"tables": [], "lines": [], "heatmaps": [], "statements": [], "samples": [], "notes": [],
            **lab.summarise(result), "known": True, "headline": figures, "evidence": lab.evidence(result),
            "template": lab.template}
    # Any lab on a CUDA runner: the whole job's NVML series (worker.job_telemetry) after the lab's own charts.
    view["lines"] = [*view["lines"], *charts.telemetry_lines([("GPU", result.get("telemetry"))], _("整个任务"))]
    view["noise"] = noise.assess(lab, result)
    return view


def headline(slug: str, result: dict | None) -> dict[str, tuple[float, str]]:
    lab = LABS.get(slug)
    return lab.headline(result or {}) if lab else {}
