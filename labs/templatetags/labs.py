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
