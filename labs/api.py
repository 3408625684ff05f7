"""The runner HTTP API (JSON, bearer-token auth): heartbeat, start, progress, result, failure.

Contract and schemas: labcontract. Every body is validated; errors answer JSON with a clear message.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

import labcontract

from . import services

# The one place the domain's refusals become HTTP status codes (labcontract/__init__.py documents them).
STATUS: dict[type[services.Refused], int] = {
    services.Invalid: 400, services.NotAuthenticated: 401, services.NotAllowed: 403, services.NoSuchJob: 404,
    services.StateConflict: 409, services.TooLarge: 413,
}


def _endpoint(kind: str, handler: Callable) -> Callable:
    @csrf_exempt  # token-authenticated machine API: no cookies, so no CSRF exposure
    @require_POST
    def view(request: HttpRequest, **kwargs) -> JsonResponse:
        try:
            _refuse_plain_http_from_afar(request)
            runner = services.runner_for_token(request.headers.get("Authorization", ""))
            body = _body(request)
            try:
                labcontract.validate(kind, body)
            except labcontract.ContractError as exc:
                raise services.Invalid(str(exc), exc.field) from None
            refused = None
            with transaction.atomic():
                try:
                    return JsonResponse(handler(runner, body, **kwargs))
                except services.Refused as err:
                    if not err.keep_changes:
                        raise
                    refused = err  # committed when the block ends, then answered as the error it is
            raise refused
        except services.Refused as err:
            payload = {"error": str(err)}
            if err.field:
                payload["field"] = err.field
            return JsonResponse(payload, status=STATUS[type(err)])

    return view


def _refuse_plain_http_from_afar(request: HttpRequest) -> None:
    """With DEPLOYDOJO_HTTPS=1 the runner API is exempt from the HTTPS redirect (config/settings.py), for a runner
    on the site's private network (compose gives it http://web:8000). Over plain HTTP from anywhere else it is
    refused with a message saying why: a runner's bearer token must not cross a public network in the clear."""
    if not getattr(settings, "SECURE_SSL_REDIRECT", False) or request.is_secure():
        return
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    address = forwarded[-1] if forwarded else request.META.get("REMOTE_ADDR", "")  # the proxy's own entry
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if ip is not None and (ip.is_private or ip.is_loopback):
        return
    raise services.NotAllowed(f"this site runs HTTPS (DEPLOYDOJO_HTTPS=1); its runner API answers plain HTTP only "
                                 f"on a private network, and {address or 'this address'} is not on one: give the "
                                 f"runner the site's https:// URL")


def _body(request: HttpRequest) -> dict:
    """The JSON body within the contract's size limit, parsed without letting hostile nesting, characters
    the database refuses (NUL) or numbers no page could show (NaN, an integer of 4,301 digits) reach a 500."""
    too_big = services.TooLarge(f"body over the runner API's limit of {labcontract.MAX_BODY_BYTES} bytes")
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        raise services.Invalid("invalid Content-Length") from None
    if declared > labcontract.MAX_BODY_BYTES:
        raise too_big
    try:
        raw = request.body
    except RequestDataTooBig:
        raise too_big from None
    if len(raw) > labcontract.MAX_BODY_BYTES:
        raise too_big
    try:
        body = labcontract.loads(raw or b"{}")  # integers beyond labcontract.INT_LIMIT: refused below
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise services.Invalid(f"invalid JSON: {exc}") from None
    except RecursionError:
        raise services.Invalid("invalid JSON: nested too deeply") from None
    if not isinstance(body, dict):
        raise services.Invalid("the body must be a JSON object")
    try:
        labcontract.check_storable(body)
    except labcontract.ContractError as exc:
        raise services.Invalid(str(exc), exc.field) from None
    return body


heartbeat = _endpoint("heartbeat", lambda runner, body: services.heartbeat(runner, body))
start = _endpoint("start", lambda runner, body, job_id: services.start(runner, job_id, body))
progress = _endpoint("progress", lambda runner, body, job_id: services.progress(runner, job_id, body))
result = _endpoint("result", lambda runner, body, job_id: services.finish(runner, job_id, body, succeeded=True))
failure = _endpoint("failure", lambda runner, body, job_id: services.finish(runner, job_id, body, succeeded=False))
