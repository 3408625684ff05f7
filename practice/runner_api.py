"""The runner HTTP API (JSON, bearer-token auth): heartbeat, start, progress, result, failure.

Contract and schemas: labcontract. Every body is validated; errors answer JSON with a clear message.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

import labcontract

from . import labs


def _endpoint(kind: str, handler: Callable) -> Callable:
    @csrf_exempt  # token-authenticated machine API: no cookies, so no CSRF exposure
    @require_POST
    def view(request: HttpRequest, **kwargs) -> JsonResponse:
        try:
            if len(request.body) > labcontract.MAX_BODY_BYTES:
                raise labs.ApiError(413, f"body over {labcontract.MAX_BODY_BYTES} bytes")
            runner = labs.runner_for_token(request.headers.get("Authorization", ""))
            try:
                body = json.loads(request.body or b"{}")
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise labs.ApiError(400, f"invalid JSON: {exc}") from None
            try:
                labcontract.validate(kind, body)
            except labcontract.ContractError as exc:
                raise labs.ApiError(400, str(exc), exc.field) from None
            with transaction.atomic():
                return JsonResponse(handler(runner, body, **kwargs))
        except labs.ApiError as err:
            payload = {"error": str(err)}
            if err.field:
                payload["field"] = err.field
            return JsonResponse(payload, status=err.status)

    return view


heartbeat = _endpoint("heartbeat", lambda runner, body: labs.heartbeat(runner, body))
start = _endpoint("start", lambda runner, body, job_id: labs.start(runner, job_id, body))
progress = _endpoint("progress", lambda runner, body, job_id: labs.progress(runner, job_id, body))
result = _endpoint("result", lambda runner, body, job_id: labs.finish(runner, job_id, body, succeeded=True))
failure = _endpoint("failure", lambda runner, body, job_id: labs.finish(runner, job_id, body, succeeded=False))
