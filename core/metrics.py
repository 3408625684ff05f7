"""/metrics: the site's state in Prometheus text format, for an operator's Prometheus (compose.yaml shows one).

Each app counts its own rows (practice.metrics, labs.metrics), named on its AppConfig; this module serves
them. Why a custom collector: the figures (lab jobs by status and queue, submissions by status and verdict,
runners online) live in PostgreSQL and are shared by every gunicorn worker, so they are counted from the
database at scrape time (prometheus_client's "custom collector" pattern) instead of being kept in per-process
counters that would need its multiprocess mode and would drift from the rows.

Who may read it: a request with ``Authorization: Bearer <METRICS_TOKEN>`` (when that setting is set), or one
whose REMOTE_ADDR falls in METRICS_ALLOW (loopback by default). A request that came through a proxy
(X-Forwarded-For, X-Real-IP or Forwarded present) is never admitted by address, because a proxy on the same
host makes every visitor look like loopback; it needs the token. Everyone else gets 403.
"""

from __future__ import annotations

import importlib
import ipaddress
import secrets

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def collectors() -> list:
    """One collector per app that declares `metrics_collector` (a dotted class path) on its AppConfig, so each
    app counts its own rows and core imports none of them."""
    found = []
    for cfg in apps.get_app_configs():
        path = getattr(cfg, "metrics_collector", None)
        if path:
            module, _, name = path.rpartition(".")
            found.append(getattr(importlib.import_module(module), name)())
    return found


def allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return secrets.compare_digest(header[len("Bearer "):].strip().encode(), token.encode())
    if any(request.META.get(h) for h in _PROXY_HEADERS):
        return False
    try:
        addr = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(addr in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOW)


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponseForbidden("metrics: a bearer token (METRICS_TOKEN) or an address in METRICS_ALLOW is "
                                     "required\n", content_type="text/plain; charset=utf-8")
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors():
        registry.register(collector)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
