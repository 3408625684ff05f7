"""Every lab's contract, found by name: each module here (but the ones starting with "_") defines SPEC, a LabSpec.

LABS, LAB_QUEUES, LAB_PARAMS and RESULT_SCHEMAS are derived from the specs; the functions below apply a lab's
schemas and hooks without knowing which lab it is. Adding a lab is adding a module (see spec.py).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import jsonschema

from labcontract.api import QUEUES, check_storable
from labcontract.errors import ContractError, short
from labcontract.labs.spec import LabSpec


def _discover() -> dict[str, LabSpec]:
    specs = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name == "spec":
            continue
        spec = importlib.import_module(f"{__name__}.{info.name}").SPEC
        if spec.module != info.name:
            raise ImportError(f"labcontract.labs.{info.name} defines lab {spec.slug!r}, whose module is {spec.module}")
        specs.append(spec)
    return {spec.slug: spec for spec in sorted(specs, key=lambda s: (s.order, s.slug))}


SPECS: dict[str, LabSpec] = _discover()
LABS: tuple[str, ...] = tuple(SPECS)
LAB_QUEUES: dict[str, tuple[str, ...]] = {slug: spec.queues for slug, spec in SPECS.items()}
LAB_PARAMS: dict[str, dict] = {slug: spec.params for slug, spec in SPECS.items()}
RESULT_SCHEMAS: dict[str, dict] = {slug: spec.result for slug, spec in SPECS.items()}


def lab_params_with_defaults(lab: str, params: dict, *, queue: str | None = None) -> dict:
    """Validate params against the lab's parameter schema and its own checks (an uploaded dataset line by line, SLOs,
    loopback-only URLs, RoPE factors), and return a copy with every top-level default filled. Given the queue
    the job goes to, also refuse a queue that does not serve the lab or cannot run these params. Raises
    ContractError naming the field (for a dataset, the line) before anything is queued or run."""
    spec = SPECS[lab]
    if queue is not None and queue not in spec.queues:
        raise ContractError(f"{lab} does not run on {queue} (it runs on {', '.join(spec.queues)})", "queue")
    try:
        # jsonschema's minimum/maximum let NaN through (every comparison with NaN is false), and jsonb refuses
        # it: every number must be finite and every integer within INT_LIMIT before any bound is checked.
        check_storable(params)
    except ContractError as exc:
        raise ContractError(f"{lab} params: {exc}", exc.field) from None
    if spec.validate_params is not None:
        filled = spec.validate_params(params)
    else:
        try:
            jsonschema.validate(params, spec.params)
        except jsonschema.ValidationError as exc:
            field = "/".join(str(p) for p in exc.absolute_path)
            raise ContractError(
                f"{lab} params: {short(exc.message)}" + (f" (at {field})" if field else ""), field
            ) from None
        filled = {k: v["default"] for k, v in spec.params["properties"].items() if "default" in v}
        filled.update(params)
    if spec.check_params is not None:
        spec.check_params(filled, None if queue is None else ("cpu" if queue == "lab.cpu" else "cuda"))
    if queue is not None and (refusal := queue_refusal(lab, queue, filled)):
        raise refusal
    return filled


def queue_refusal(lab: str, queue: str, filled: dict) -> ContractError | None:
    """Why a job with these (filled) params cannot run on `queue`, naming the field, or None: the lab's hook says
    which queue the params need (Q-LoRA needs a CUDA GPU, a vLLM server a runner with vLLM)."""
    spec = SPECS[lab]
    need = spec.queue_need(filled) if spec.queue_need is not None else None
    if need is None or QUEUES.index(queue) >= QUEUES.index(need[0]):
        return None
    queue_needed, field, why = need
    return ContractError(f"{lab} params: {why}; queue the job on {queue_needed}, not {queue}", field)


def validate_result(lab: str, result: Any) -> None:
    """Raise ContractError naming the offending field (a path under "result") when `result` does not fit the lab's
    result schema; a lab without one needs only an object."""
    schema = RESULT_SCHEMAS.get(lab, {"type": "object"})
    try:
        jsonschema.validate(result, schema)
    except RecursionError:
        raise ContractError(f"{lab} result: nested too deeply", "result") from None
    except jsonschema.ValidationError as exc:
        best = jsonschema.exceptions.best_match([exc]) if exc.context else exc
        # oneOf over entries: name the branch whose status matches, which is the one the runner meant.
        best = _branch_error(exc) or best
        field = "/".join(["result", *(str(p) for p in best.absolute_path)])
        raise ContractError(f"{lab} result: {short(best.message)} (at {field})", field) from None


def _branch_error(exc: jsonschema.ValidationError) -> jsonschema.ValidationError | None:
    """For a oneOf of entry kinds (ok / unsupported / error), the error inside the branch whose "status" the
    entry has: "decode_tokens_per_s is a required property" rather than "is not valid under any schema"."""
    if exc.validator != "oneOf" or not isinstance(exc.instance, dict) or not exc.context:
        return None
    status = exc.instance.get("status")
    for sub in sorted(exc.context, key=lambda e: len(list(e.absolute_path)), reverse=True):
        branch = exc.validator_value[sub.schema_path[0]] if sub.schema_path else {}
        if branch.get("properties", {}).get("status", {}).get("const") == status:
            return _branch_error(sub) or sub
    return None


def result_failure(lab: str, result: dict) -> str | None:
    """The failure a valid result reports, or None (the lab's hook: a C++ tokenizer that did not compile, a
    fine-tune that did not train, a lab in which no configuration was measured). The result is still stored, so
    the page can show why. Both sides call this: the runner to log the job as failed, the site to record it so."""
    hook = SPECS[lab].result_failure if lab in SPECS else None
    return hook(result) if hook is not None else None
