"""The core app (no models): the content loader, Markdown, middleware, template tags and the site's own
management commands (load_content, ensure_admin, runlocal). Every other app sits above it; it imports none."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"
