"""The knowledge app: articles, search, the interview checklist with spaced repetition."""

from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    content_source = "knowledge.content"  # core.content_loader loads content/ through it
    task_panel = "knowledge.panels.related_articles"  # tracker's task page includes it
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the notes indexer
