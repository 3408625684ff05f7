"""`make run`: migrate, load content, ensure an admin, then run the web server, a Celery worker (with beat)
and a local CPU lab runner on the embedded defaults. Ctrl-C stops everything it started."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

STOP_GRACE_S = 10


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run DeployDojo locally: web server, Celery worker and a CPU lab runner."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("DEPLOYDOJO_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--no-runner", action="store_true", help="do not start the local CPU lab runner")

    def handle(self, *args, addr: str, no_runner: bool, **options):
        call_command("migrate", verbosity=0, interactive=False)
        call_command("load_content")
        call_command("ensure_admin")
        procs: list[tuple[str, subprocess.Popen]] = []
        py = sys.executable
        procs.append(("web", subprocess.Popen([py, "manage.py", "runserver", addr, "--noreload"])))
        procs.append(("worker", subprocess.Popen(
            [py, "-m", "celery", "-A", "config", "worker", "--beat", "-Q", "celery,judge", "-c", "2",
             "-l", "INFO", "-s", str(settings.VAR_DIR / "celerybeat-schedule")])))
        if not no_runner:
            runner = self._local_runner(py, addr)
            if runner:
                procs.append(("cpu-runner", runner))
        self.stdout.write(self.style.SUCCESS(f"\nDeployDojo is running at http://{addr}/  (Ctrl-C stops everything)\n"))
        self._wait(procs)

    def _local_runner(self, py: str, addr: str) -> subprocess.Popen | None:
        try:
            out = io.StringIO()
            call_command("local_runner_token", stdout=out)  # the labs app's; core imports no app above it
        except CommandError:  # the lab side is not installed in this build
            return None
        token = out.getvalue().strip()
        env = {**os.environ, "DEPLOYDOJO_SITE_URL": f"http://{addr}", "DEPLOYDOJO_RUNNER_TOKEN": token,
               "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
        return subprocess.Popen([py, "-m", "gpu_runner", "--name", "local-cpu"], env=env)

    def _wait(self, procs: list[tuple[str, subprocess.Popen]]) -> None:
        # Ctrl-C reaches the whole process group; a plain `kill` (SIGTERM/SIGHUP) reaches only us, so turn it
        # into the same orderly stop instead of leaving the children behind.
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _raise_interrupt)
        try:
            while True:
                for name, proc in procs:
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping the rest")
                        raise KeyboardInterrupt
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for _name, proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + STOP_GRACE_S
            for _name, proc in procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
            self.stdout.write("stopped")
