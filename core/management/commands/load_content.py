"""python manage.py load_content [--check]: validate and load every content file, idempotently."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.content_loader import ContentError, load_content


class Command(BaseCommand):
    help = "Load content/ (plan, exercises, knowledge base) into the database; --check only validates."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="validate every file, write nothing")
        parser.add_argument("--dir", type=Path, default=None, help="content directory (default: settings)")

    def handle(self, *args, check: bool = False, dir: Path | None = None, **options):
        content_dir = dir or settings.CONTENT_DIR
        try:
            report = load_content(content_dir, check_only=check)
        except ContentError as exc:
            raise CommandError(f"content error, nothing loaded: {exc}") from None
        if check:
            self.stdout.write(self.style.SUCCESS(f"content OK: {report.checked_files} files valid, nothing written"))
            return
        if options.get("verbosity", 1) < 1:
            return
        for name, c in report.counts.items():
            self.stdout.write(f"{name:>16}: {c.created} created, {c.updated} updated, "
                              f"{c.unchanged} unchanged, {c.archived} archived")
        if report.changed:
            self.stdout.write(self.style.SUCCESS("content loaded"))
        else:
            self.stdout.write(self.style.SUCCESS("no changes: the database already matches content/"))
