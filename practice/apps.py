from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    content_source = "practice.content"  # core.content_loader loads content/ through it
    verbose_name = "Practice"
