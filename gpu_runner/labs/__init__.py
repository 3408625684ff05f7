"""The labs a runner can run, and the context they run in (progress, cancellation, fresh child processes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gpu_runner.errors import ChildFailed, LabCancelled, Unsupported
from gpu_runner.fresh_process import LogTail, run_in_fresh_process

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

    def report(self, percent: float, stage: str) -> None:
        if self.progress(int(percent), stage):
            raise LabCancelled()

    def run_child(self, target: str, spec: dict[str, Any], *, start: float, end: float, stage: str) -> Any:
        """Run target(spec, report) in a fresh process, mapping its 0..1 progress onto start..end percent."""
        self.report(start, stage)

        def on_progress(fraction: float, detail: str) -> bool:
            return self.progress(int(start + (end - start) * fraction), f"{stage}: {detail}"[:200])

        return run_in_fresh_process(target, spec, on_progress=on_progress, log=self.log,
                                    timeout_s=self.child_timeout_s)

    def measure(self, target: str, spec: dict[str, Any], *, key: str, name: str, index: int, total: int) -> dict:
        """One configuration of a lab in its own process (the i-th of `total`). Returns the child's entry, or
        an entry {key: name, "status": "unsupported" | "error", ...} when the configuration cannot run."""
        try:
            return self.run_child(target, spec, start=100 * index / total, end=100 * (index + 1) / total,
                                  stage=f"{name} ({index + 1}/{total})")
        except Unsupported as exc:
            return {key: name, "status": "unsupported", "reason": str(exc)}
        except ChildFailed as exc:
            return {key: name, "status": "error", "error": str(exc)[-2000:]}


def lab_runner(lab: str) -> Callable[[dict[str, Any], LabContext], dict[str, Any]]:
    """The orchestration function of a lab; imported lazily so the worker stays light."""
    if lab == "quant-inference":
        from gpu_runner.labs.quant_inference import run
    elif lab == "vllm-batch":
        from gpu_runner.labs.vllm_batch import run
    elif lab == "serving-bench":
        from gpu_runner.labs.serving_bench import run
    elif lab == "cpp-tokenizer":
        from gpu_runner.labs.cpp_tokenizer import run
    elif lab == "finetune":
        from gpu_runner.labs.finetune import run
    elif lab == "long-context":
        from gpu_runner.labs.long_context import run
    elif lab == "onnx-export":
        from gpu_runner.labs.onnx_export import run
    elif lab == "cross-model":
        from gpu_runner.labs.cross_model import run
    else:
        raise ValueError(f"unknown lab {lab!r}")
    return run
