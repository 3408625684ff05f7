"""Create a local admin account when no superuser exists, and say how to log in."""

from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the local admin account if there is no superuser yet."

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("admin account exists (reset its password with: manage.py changepassword admin)")
            return
        username = os.environ.get("DEPLOYDOJO_ADMIN_USER", "admin")
        password = os.environ.get("DEPLOYDOJO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(self.style.SUCCESS(f"created admin account: user '{username}', password '{password}'"))
