"""Submissions by status and verdict for /metrics (core.metrics serves it; counted at scrape time)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .models import Submission


class SubmissionCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        subs = GaugeMetricFamily("deploydojo_submissions", "Submissions by status and verdict (rows now); "
                                 "verdict is empty until judged", labels=["status", "verdict"])
        for r in Submission.objects.values("status", "verdict").annotate(n=Count("id")).order_by("status", "verdict"):
            subs.add_metric([r["status"], r["verdict"]], r["n"])
        yield subs
