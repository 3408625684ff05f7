"""The runner HTTP API (JSON, bearer-token auth): heartbeat, start, progress, result, failure.

Contract and schemas: labcontract. Every body is validated; errors answer JSON with a clear message.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

import labcontract

from . import services


def _endpoint(kind: str, handler: Callable) -> Callable:
    @csrf_exempt  # token-authenticated machine API: no cookies, so no CSRF exposure
    @require_POST
    def view(request: HttpRequest, **kwargs) -> JsonResponse:
        try:
            runner = services.runner_for_token(request.headers.get("Authorization", ""))
            body = _body(request)
            try:
                labcontract.validate(kind, body)
            except labcontract.ContractError as exc:
                raise services.ApiError(400, str(exc), exc.field) from None
            refused = None
            with transaction.atomic():
                try:
                    return JsonResponse(handler(runner, body, **kwargs))
                except services.ApiError as err:
                    if not err.keep_changes:
                        raise
                    refused = err  # committed when the block ends, then answered as the error it is
            raise refused
        except services.ApiError as err:
            payload = {"error": str(err)}
            if err.field:
                payload["field"] = err.field
            return JsonResponse(payload, status=err.status)

    return view


def _body(request: HttpRequest) -> dict:
    """The JSON body within the contract's size limit, parsed without letting hostile nesting or characters
    the database refuses (NUL) reach a 500."""
    too_big = services.ApiError(413, f"body over the runner API's limit of {labcontract.MAX_BODY_BYTES} bytes")
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        raise services.ApiError(400, "invalid Content-Length") from None
    if declared > labcontract.MAX_BODY_BYTES:
        raise too_big
    try:
        raw = request.body
    except RequestDataTooBig:
        raise too_big from None
    if len(raw) > labcontract.MAX_BODY_BYTES:
        raise too_big
    try:
        body = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise services.ApiError(400, f"invalid JSON: {exc}") from None
    except RecursionError:
        raise services.ApiError(400, "invalid JSON: nested too deeply") from None
    if not isinstance(body, dict):
        raise services.ApiError(400, "the body must be a JSON object")
    try:
        labcontract.check_storable(body)
    except labcontract.ContractError as exc:
        raise services.ApiError(400, str(exc), exc.field) from None
    return body


heartbeat = _endpoint("heartbeat", lambda runner, body: services.heartbeat(runner, body))
start = _endpoint("start", lambda runner, body, job_id: services.start(runner, job_id, body))
progress = _endpoint("progress", lambda runner, body, job_id: services.progress(runner, job_id, body))
result = _endpoint("result", lambda runner, body, job_id: services.finish(runner, job_id, body, succeeded=True))
failure = _endpoint("failure", lambda runner, body, job_id: services.finish(runner, job_id, body, succeeded=False))
