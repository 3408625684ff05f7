"""python manage.py import_record FILE --user NAME [--create-user]: merge an exported record into an account."""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from evidence.transfer import RecordError, import_record


class Command(BaseCommand):
    help = "Import a DeployDojo record (JSON from /record/export/) into a user's account; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="username to import into")
        parser.add_argument("--create-user", action="store_true", help="create the account (no password) if missing")

    def handle(self, *args, file: Path, user: str, create_user: bool, **options):
        User = get_user_model()
        account = User.objects.filter(username=user).first()
        if account is None:
            if not create_user:
                raise CommandError(f"no user '{user}' (use --create-user)")
            account = User.objects.create_user(username=user)
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{file}: cannot read JSON: {exc}") from None
        try:
            report = import_record(account, data)
        except RecordError as exc:
            raise CommandError(f"{file}: {exc} (nothing was imported)") from None
        parts = ", ".join(f"{k} +{v}" for k, v in report.added_by_kind.items() if v) or "nothing new"
        self.stdout.write(self.style.SUCCESS(f"imported into '{user}': {parts}"))
