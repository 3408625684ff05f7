"""The labs a runner can run, and the context they run in (progress, cancellation, fresh child processes)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import labcontract
from gpu_runner.errors import ChildFailed, LabCancelled, Unsupported
from gpu_runner.process.fresh import LogTail, run_in_fresh_process

# progress(percent 0-100, stage) -> True when the site cancelled the job
ProgressFn = Callable[[int, str], bool]


@dataclass
class LabContext:
    """What a lab's orchestration (in the worker process) may use."""

    device: str  # "cpu" or "cuda"
    capabilities: dict[str, Any]
    progress: ProgressFn = lambda percent, stage: False
    log: LogTail = field(default_factory=LogTail)
    child_timeout_s: float = 3600.0
    # bench/gpu_check.py: a cancellation stops the configuration in flight only; the lab keeps what it measured,
    # marks the rest skipped and returns its result. The worker leaves this off: a cancelled job posts nothing.
    keep_measured: bool = False
    deadline: float | None = None  # time.monotonic() past which a child is cancelled even while it reports nothing
    cancel_reason: str = "cancelled"
    cancelled: str | None = None  # set once a cancellation was kept: why every later configuration is skipped

    def report(self, percent: float, stage: str) -> None:
        if self.keep_measured and (self.cancelled is not None or percent >= 100):
            return  # nothing left to cancel: the lab is assembling what it measured
        if self.progress(int(percent), stage):
            raise LabCancelled(f"{self.cancel_reason} ({stage})")

    def run_child(self, target: str, spec: dict[str, Any], *, start: float, end: float, stage: str) -> Any:
        """Run target(spec, report) in a fresh process, mapping its 0..1 progress onto start..end percent."""
        self.report(start, stage)

        def on_progress(fraction: float, detail: str) -> bool:
            return self.progress(int(start + (end - start) * fraction), f"{stage}: {detail}"[:200])

        try:
            return run_in_fresh_process(target, spec, on_progress=on_progress, log=self.log,
                                        timeout_s=self.child_timeout_s, cancel_at=self.deadline)
        except LabCancelled as exc:
            raise LabCancelled(str(exc) or f"{self.cancel_reason} ({stage})") from None

    def measure(self, target: str, spec: dict[str, Any], *, key: str, name: str, index: int, total: int) -> dict:
        """One configuration of a lab in its own process (the i-th of `total`). Returns the child's entry, or
        an entry {key: name, "status": "unsupported" | "error", ...} when the configuration cannot run (with
        keep_measured also "cancelled" for the configuration a cancellation stopped, "skipped" for those after)."""
        if self.cancelled is not None:
            return self.skipped(key, name)
        try:
            return self.run_child(target, spec, start=100 * index / total, end=100 * (index + 1) / total,
                                  stage=f"{name} ({index + 1}/{total})")
        except Unsupported as exc:
            return {key: name, "status": "unsupported", "reason": str(exc)}
        except ChildFailed as exc:
            return {key: name, "status": "error", "error": str(exc)[-2000:]}
        except LabCancelled as exc:
            return self.kept_cancellation(exc, key, name)

    def kept_cancellation(self, exc: LabCancelled, key: str, name: str) -> dict[str, Any]:
        """The entry of the configuration a cancellation stopped, when keep_measured (else the cancellation
        goes on up): later configurations are skipped, the lab still returns what it measured."""
        if not self.keep_measured:
            raise exc
        reason = str(exc) or self.cancel_reason
        self.cancelled = f"not run: {name} was cancelled before it ({reason})"
        return {key: name, "status": "cancelled", "reason": reason}

    def skipped(self, key: str, name: str) -> dict[str, Any]:
        return {key: name, "status": "skipped", "reason": self.cancelled or "skipped"}


def lab_runner(lab: str) -> Callable[[dict[str, Any], LabContext], dict[str, Any]]:
    """The orchestration function of a lab: ``run`` of the module (or package) named after it in this package —
    slug "my-lab", module gpu_runner.labs.my_lab. Imported lazily so the worker stays light."""
    if lab not in labcontract.LABS:
        raise ValueError(f"unknown lab {lab!r}")
    return importlib.import_module(f"{__name__}.{labcontract.SPECS[lab].module}").run
