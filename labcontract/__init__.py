"""The contract between the site and gpu_runner: Celery task names, the job payload, the
runner HTTP API and its JSON schemas. Pure Python + jsonschema; both sides import this module,
neither imports the other.

Runner HTTP API (JSON bodies, header ``Authorization: Bearer <runner token>``), under
``/api/runner/``:

  POST heartbeat                 HEARTBEAT      -> {"ok": true, "runner": name, "released": [job ids],
                                                    "queues": [this runner's own queues to consume]}
  POST jobs/<job_id>/start       START          -> {"ok": true, "params": {...}} | 409 {"error": ...}
  POST jobs/<job_id>/progress    PROGRESS       -> {"ok": true, "cancelled": bool}
  POST jobs/<job_id>/result      RESULT         -> {"ok": true} | 400 (result breaks RESULT_SCHEMAS[lab])
  POST jobs/<job_id>/failure     FAILURE        -> {"ok": true}

Errors: 400 {"error": "...", "field": "..."} for a body that fails its schema (NaN/Infinity and integers
beyond INT_LIMIT included); 401 for a missing, unknown or revoked token; 404 alike for a job that does not exist
and one the runner may not touch (ids do not leak); 403 over plain HTTP from a public address where the site
runs HTTPS (DEPLOYDOJO_HTTPS=1: the API is exempt from the HTTPS redirect on private networks only); 409
when the job's state or attempt no longer accepts the call (cancelled, finished, superseded attempt); 413 for
a body over MAX_BODY_BYTES. A repeated call for the same attempt after it took effect answers 200 and changes
nothing, so runners may retry on network errors.

A result is checked against its lab's RESULT_SCHEMAS entry on both sides (validate_result): the runner posts
a result that fails it as a FAILURE naming the field; the site refuses one with 400 naming the field and
fails the job with that message (nothing half-valid is stored). A valid result can still report a failure
(result_failure: a C++ tokenizer that did not compile); the site then stores it and marks the job failed.
"""

from labcontract.api import (
    API_PREFIX,
    CAPABILITIES,
    CPP_REGEX_LIBRARIES,
    FAILURE,
    HEARTBEAT,
    HEARTBEAT_INTERVAL_S,
    HEARTBEAT_TIMEOUT_S,
    INT_LIMIT,
    JOB_PAYLOAD,
    MAX_BODY_BYTES,
    MAX_DEPTH,
    PROGRESS,
    QUEUES,
    RESULT,
    SCHEMAS,
    START,
    TASK_FOR_QUEUE,
    HugeInteger,
    check_storable,
    loads,
    parse_int,
    runner_queue,
    task_name,
    validate,
)
from labcontract.errors import ContractError
from labcontract.labs import (
    LAB_PARAMS,
    LAB_QUEUES,
    LABS,
    RESULT_SCHEMAS,
    SPECS,
    lab_params_with_defaults,
    queue_refusal,
    result_failure,
    validate_result,
)
from labcontract.labs.spec import LabSpec

__all__ = [
    "API_PREFIX", "CAPABILITIES", "CPP_REGEX_LIBRARIES", "FAILURE", "HEARTBEAT", "HEARTBEAT_INTERVAL_S",
    "HEARTBEAT_TIMEOUT_S", "INT_LIMIT", "JOB_PAYLOAD", "MAX_BODY_BYTES", "MAX_DEPTH", "PROGRESS", "QUEUES", "RESULT",
    "SCHEMAS", "START", "TASK_FOR_QUEUE", "HugeInteger", "check_storable", "loads", "parse_int", "runner_queue",
    "task_name", "validate", "ContractError", "LAB_PARAMS", "LAB_QUEUES", "LABS", "RESULT_SCHEMAS", "SPECS",
    "lab_params_with_defaults", "queue_refusal", "result_failure", "validate_result", "LabSpec",
]
