from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    content_source = "tracker.content_plan"  # core.content_loader loads content/ through it
    verbose_name = "Tracker"
