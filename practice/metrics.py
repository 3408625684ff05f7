"""/metrics: the site's state in Prometheus text format, for an operator's Prometheus (compose.yaml shows one).

Why a custom collector: the figures (lab jobs by status and queue, submissions by status and verdict,
runners online) live in PostgreSQL and are shared by every gunicorn worker, so they are counted from the
database at scrape time (prometheus_client's "custom collector" pattern) instead of being kept in per-process
counters that would need its multiprocess mode and would drift from the rows.

Who may read it: a request with ``Authorization: Bearer <METRICS_TOKEN>`` (when that setting is set), or one
whose REMOTE_ADDR falls in METRICS_ALLOW (loopback by default). A request that came through a proxy
(X-Forwarded-For, X-Real-IP or Forwarded present) is never admitted by address, because a proxy on the same
host makes every visitor look like loopback; it needs the token. Everyone else gets 403.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

import labcontract

from .models import LabJob, Runner, Submission

_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


class SiteCollector(Collector):
    """Counts rows at scrape time; every known status x queue appears, zeros included, so series never vanish."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily("deploydojo_lab_jobs", "Lab jobs by status and queue (rows now)",
                                 labels=["status", "queue"])
        counts = {(r["status"], r["queue"]): r["n"]
                  for r in LabJob.objects.values("status", "queue").annotate(n=Count("id")).order_by()}
        queues = list(dict.fromkeys([*labcontract.QUEUES, *(q for _, q in counts)]))
        for status in LabJob.Status.values:
            for queue in queues:
                jobs.add_metric([status, queue], counts.get((status, queue), 0))
        yield jobs

        subs = GaugeMetricFamily("deploydojo_submissions", "Submissions by status and verdict (rows now); "
                                 "verdict is empty until judged", labels=["status", "verdict"])
        for r in Submission.objects.values("status", "verdict").annotate(n=Count("id")).order_by("status", "verdict"):
            subs.add_metric([r["status"], r["verdict"]], r["n"])
        yield subs

        cutoff = timezone.now() - timezone.timedelta(seconds=settings.RUNNER_HEARTBEAT_TIMEOUT_S)
        live = Runner.objects.filter(revoked_at__isnull=True)
        online = GaugeMetricFamily("deploydojo_runners_online",
                                   "Runners not revoked whose last heartbeat is within RUNNER_HEARTBEAT_TIMEOUT_S")
        online.add_metric([], live.filter(last_seen_at__gte=cutoff).count())
        yield online
        registered = GaugeMetricFamily("deploydojo_runners_registered", "Runners not revoked")
        registered.add_metric([], live.count())
        yield registered


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
    registry.register(SiteCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
