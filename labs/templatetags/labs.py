"""Template helpers for lab result pages: a job's result, runner system info and parameters as the rows the
templates render (labs/charts.py)."""

import json

from django import template

from .. import explain, registry, stages
from ..charts import param_rows, system_rows

register = template.Library()


@register.simple_tag
def lab_view(job):
    return registry.summary(job.lab, job.result)


@register.simple_tag
def lab_explain(job):
    return explain.explanations(job)


@register.simple_tag
def system_view(info):
    return system_rows(info)


@register.simple_tag
def params_view(params):
    return param_rows(params)


@register.filter
def lab_title(slug: str) -> str:
    return registry.title(slug)


@register.filter
def json_attr(value) -> str:
    """A chart's data as JSON for a data- attribute (the template's autoescaping makes it attribute-safe)."""
    return json.dumps(value, ensure_ascii=False, default=str)


@register.filter
def stage_text(text: str) -> str:
    """A job's stage in the learner's language (labs/stages.py)."""
    return stages.stage_text(text)


@register.filter
def note_text(text: str) -> str:
    """A note the runner added to a result, in the learner's language (labs/stages.py)."""
    return stages.note_text(text)


@register.filter
def failure_text(text: str) -> str:
    """A job's error in the learner's language where it is a known failure (labs/stages.py)."""
    return stages.failure_text(text)


@register.filter
def duration_text(seconds) -> str:
    """Seconds as "42 秒" / "3 分 05 秒" / "1 小时 02 分" (translated)."""
    from django.utils.translation import gettext

    s = int(round(float(seconds or 0)))
    if s < 60:
        return gettext("%(s)d 秒") % {"s": s}
    if s < 3600:
        return gettext("%(m)d 分 %(s)02d 秒") % {"m": s // 60, "s": s % 60}
    return gettext("%(h)d 小时 %(m)02d 分") % {"h": s // 3600, "m": s % 3600 // 60}
