"""The knowledge app: articles, search, skills evidence, interview checklist with spaced repetition, export."""

from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    content_source = "knowledge.content"  # core.content_loader loads content/ through it
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the notes indexer
