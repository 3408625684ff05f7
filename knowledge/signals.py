"""Keep each user's task notes in the search index as they are saved or deleted."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tracker.models import TaskProgress


def index_notes(progress: TaskProgress) -> None:
    from .models import SearchDoc
    from .search import index_doc, plain_text

    if not progress.notes.strip():
        SearchDoc.objects.filter(kind=SearchDoc.Kind.NOTE, object_id=progress.pk).delete()
        return
    task = progress.task
    index_doc(kind=SearchDoc.Kind.NOTE, object_id=progress.pk, slug=task.slug, title=task.title,
              text=plain_text(progress.notes), user=progress.user)


@receiver(post_save, sender=TaskProgress, dispatch_uid="knowledge-index-notes")
def _progress_saved(sender, instance: TaskProgress, raw: bool = False, update_fields=None, **kwargs) -> None:
    if raw or (update_fields is not None and "notes" not in update_fields):
        return
    index_notes(instance)


@receiver(post_delete, sender=TaskProgress, dispatch_uid="knowledge-unindex-notes")
def _progress_deleted(sender, instance: TaskProgress, **kwargs) -> None:
    from .models import SearchDoc

    SearchDoc.objects.filter(kind=SearchDoc.Kind.NOTE, object_id=instance.pk).delete()
