"""What a result should teach: each lab's `explain` rules (labs/kinds/<lab>.py) name what the learner should
notice in a result, say why in one sentence, link the knowledge-base section that explains it and suggest the
next run. This module turns a rule into what templates/labs/_lab_explain.html renders: the article's URL with
its section anchor, and a "try next" link that opens the lab's form prefilled with the job's parameters and the
suggested change (labs.views.lab_new reads them from the query string)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

import labcontract

from . import forms, registry


def _form_values(lab: str, params: dict) -> list[tuple[str, str]]:
    """Params as the lab form's inputs carry them (forms.params_from_form reads them back)."""
    schema = labcontract.LAB_PARAMS.get(lab, {}).get("properties", {})
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        spec = schema.get(name)
        if spec is None or value is None:
            continue
        widget = forms._widget(name, spec)
        if widget == "checkboxes":
            pairs.extend((name, str(v)) for v in value)
        elif widget == "object" and isinstance(value, dict):
            pairs.extend((f"{name}.{k}", str(v)) for k, v in value.items())
        elif widget == "checkbox":
            pairs.append((name, "true" if value else "false"))
        elif widget in ("lines", "rope"):
            pairs.append((name, forms._shown(value) if isinstance(value, list) else str(value)))
        elif widget != "file":
            pairs.append((name, str(value)))
    return pairs


def try_url(lab: str, params: dict | None, change: dict, section: str = "") -> str:
    url = reverse("lab_new", args=[lab])
    anchor = f"#{section}" if section else ""
    if registry.LABS.get(lab) is not None and registry.LABS[lab].upload:
        return url + anchor
    values = _form_values(lab, {**(params or {}), **change})
    return (f"{url}?{urlencode(values)}" if values else url) + anchor


def explanations(job) -> list[dict]:
    """The lab's rules for this job's result, each with `url` (article section) and `try_url`."""
    lab = registry.LABS.get(job.lab)
    if lab is None or lab.explain is None or not isinstance(job.result, dict):
        return []
    out = []
    for item in lab.explain(job.result):
        out.append({**item, "url": reverse("article", args=[item["article"]]) + f"#{item['anchor']}",
                    "try_url": try_url(job.lab, job.params, item["try"], item.get("form_section", ""))
                    if item["try"] or item.get("form_section") else ""})
    return out
