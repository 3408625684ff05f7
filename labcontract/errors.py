"""The contract's one exception: what is wrong, and the field (a JSON path joined by "/") it is wrong at."""

from __future__ import annotations


def short(message: str, limit: int = 300) -> str:
    """jsonschema quotes the offending value; a 1 MB source must not become a 1 MB error message."""
    return message if len(message) <= limit else message[:limit] + "…"


class ContractError(ValueError):
    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field
