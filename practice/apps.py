from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    content_source = "practice.content"  # core.content_loader loads content/ through it
    metrics_collector = "practice.metrics.SubmissionCollector"  # core.metrics serves it on /metrics
    verbose_name = "Practice"
