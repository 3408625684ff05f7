"""LabSpec: what the contract says about one lab. Each module of labcontract.labs defines one, as SPEC.

A lab is three modules found by name (slug "my-lab" -> module my_lab): this contract (labcontract/labs/my_lab.py),
the runner's measurement (gpu_runner/labs/my_lab.py or a package of that name) and the site's page
(labs/kinds/my_lab.py); tests/test_lab_registry.py keeps the three naming the same labs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labcontract.errors import ContractError


@dataclass(frozen=True)
class LabSpec:
    slug: str
    order: int  # place on the labs page, smallest first
    queues: tuple[str, ...]  # the queues it may be queued on, least capable first (the site offers them so)
    params: dict  # JSON schema of the parameters; top-level "default"s are filled before the runner sees them
    result: dict  # JSON schema of the result a runner posts (both sides validate)
    # (filled params, device "cpu" | "cuda" | None) -> None; raises ContractError naming the field.
    check_params: Callable[[dict[str, Any], str | None], None] | None = None
    # filled params -> (queue needed, field, why) when these params need more than the lab's first queue.
    queue_need: Callable[[dict[str, Any]], tuple[str, str, str] | None] | None = None
    # result -> the failure a valid result reports (nothing was measured, the build failed), or None.
    result_failure: Callable[[dict[str, Any]], str | None] | None = None
    # params -> filled params, replacing the schema check when a lab names some fields before the schema does.
    validate_params: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @property
    def module(self) -> str:
        return self.slug.replace("-", "_")


def no_entry_measured(key: str, name: str) -> Callable[[dict[str, Any]], str | None]:
    """A result_failure hook for labs that measure a list of configurations: failed when none was measured (the
    error names every entry's reason, "fp32 unsupported: …; int8 error: …")."""

    def failure(result: dict[str, Any]) -> str | None:
        entries = result.get(key) or []
        if any(e.get("status") == "ok" for e in entries):
            return None
        if not entries:
            return f"no {name} was measured: no {name} to measure"
        reasons = "; ".join(f"{e.get(name, '')} {e.get('status', '')}: {e.get('reason') or e.get('error') or '?'}"
                            for e in entries)
        return f"no {name} was measured: {reasons}"[:4000]

    return failure


__all__ = ["ContractError", "LabSpec", "no_entry_measured"]
