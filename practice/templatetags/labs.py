"""Template helpers for lab result pages."""

from django import template

from ..lab_results import view_for

register = template.Library()


@register.simple_tag
def lab_view(job):
    return view_for(job.lab, job.result)
