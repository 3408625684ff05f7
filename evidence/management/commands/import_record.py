"""python manage.py import_record FILE --user NAME [--create-user]: merge an exported record into an account.

All or nothing, as the web import: the file is read and checked by the same code (evidence.transfer), and
the account --create-user makes is created in the import's transaction, so a refused record leaves none."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from evidence.transfer import RecordError, import_record, parse_record


class Command(BaseCommand):
    help = "Import a DeployDojo record (JSON from /record/export/) into a user's account; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="username to import into")
        parser.add_argument("--create-user", action="store_true", help="create the account (no password) if missing")

    def handle(self, *args, file: Path, user: str, create_user: bool, **options):
        User = get_user_model()
        existed = User.objects.filter(username=user).exists()
        if not existed and not create_user:
            raise CommandError(f"no user '{user}' (use --create-user)")
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: cannot read JSON: {exc}") from None
        try:
            data = parse_record(raw)
            with transaction.atomic():
                account = User.objects.filter(username=user).first()
                created = account is None
                if created:
                    account = User.objects.create_user(username=user)
                report = import_record(account, data)
        except RecordError as exc:
            left = "" if existed else f"; no account '{user}' was created"
            raise CommandError(f"{file}: {exc} (nothing was imported{left})") from None
        parts = ", ".join(f"{k} +{v}" for k, v in report.added_by_kind.items() if v) or "nothing new"
        made = " (account created, no password)" if created else ""
        self.stdout.write(self.style.SUCCESS(f"imported into '{user}'{made}: {parts}"))
