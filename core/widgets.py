"""Form widgets every app shares."""

from __future__ import annotations

from django import forms

ISO_DATE = "%Y-%m-%d"


class IsoDateInput(forms.DateInput):
    """<input type="date">, whose value a browser reads only as an ISO date (2026-12-01): rendered in that form
    whatever the language, where the locale's own (zh: 2026/12/01) would show an empty field that saving then
    clears. Parsing still accepts the locale's formats."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format=ISO_DATE)
