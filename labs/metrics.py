"""Lab jobs and runners for /metrics (core.metrics serves it; counted at scrape time)."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

import labcontract

from .models import LabJob, Runner


class LabCollector(Collector):
    """Every known status x queue appears, zeros included, so series never vanish."""

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

        cutoff = timezone.now() - timezone.timedelta(seconds=settings.RUNNER_HEARTBEAT_TIMEOUT_S)
        live = Runner.objects.filter(revoked_at__isnull=True)
        online = GaugeMetricFamily("deploydojo_runners_online",
                                   "Runners not revoked whose last heartbeat is within RUNNER_HEARTBEAT_TIMEOUT_S")
        online.add_metric([], live.filter(last_seen_at__gte=cutoff).count())
        yield online
        registered = GaugeMetricFamily("deploydojo_runners_registered", "Runners not revoked")
        registered.add_metric([], live.count())
        yield registered
