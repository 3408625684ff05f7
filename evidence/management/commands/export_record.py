"""python manage.py export_record --user NAME [-o FILE]: write a user's whole record as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from evidence.transfer import export_record


class Command(BaseCommand):
    help = "Export a user's record (progress, notes, submissions, lab results, reviews, schedule) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True)
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")

    def handle(self, *args, user: str, output: Path | None, **options):
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"no user '{user}'")
        text = json.dumps(export_record(account), ensure_ascii=False, indent=1)
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text)
