"""What the knowledge app adds to pages of apps below it, without their importing it: the task page asks every
app's AppConfig for a `task_panel` (tracker.views.task_panels) and includes the template it names."""

from __future__ import annotations

from .models import Article


def related_articles(task) -> dict | None:
    """The knowledge-base card of a task page: the articles that practise this task (one query)."""
    articles = list(Article.objects.live().filter(tasks=task).only("slug", "title", "title_en"))
    if not articles:
        return None
    return {"template": "knowledge/_related_articles.html", "articles": articles}
