"""The labs app: runners, lab jobs, the lab registry, the runner HTTP API and the lab pages."""

from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "labs"
    verbose_name = "Labs"
    metrics_collector = "labs.metrics.LabCollector"  # core.metrics serves it on /metrics
