"""Template helpers every app uses: Markdown rendering and localised fields."""

from __future__ import annotations

from django import template

from ..markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str):
    return render_markdown(text)


@register.filter
def loc(obj, field: str) -> str:
    """{{ task|loc:"title" }} -> the English field in English, the Chinese one otherwise."""
    return obj.loc(field)
