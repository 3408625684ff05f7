"""Print the token of the local CPU runner that `make run` starts (created on first use, kept in var/)."""

from django.core.management.base import BaseCommand

from labs.services import runner_local_token


class Command(BaseCommand):
    help = "Print the local CPU runner's token, creating the runner (shared with every account) if needed."

    def handle(self, *args, **options):
        self.stdout.write(runner_local_token())
