"""`make run`: migrate, load content, ensure an admin, then run the web server, a Celery worker, Celery beat (the
reapers' clock) and a local CPU lab runner on the embedded defaults. Ctrl-C stops everything it started.

Each child runs in a process group of its own, so Ctrl-C (SIGINT to the terminal's group) reaches only this
command, which stops the children in order — SIGTERM to each, then SIGKILL to whatever is left of each group
(a worker's pool, a runner's lab process) — and prints no traceback. The children also get the parent-death
signal: should this command itself be killed, they stop with it. Beat is its own process, never a worker's
passenger: a beat outliving a killed worker kept queuing tasks."""

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

from core.processes import preexec_die_with_parent

STOP_GRACE_S = 10
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _Stop(Exception):
    """A stop signal arrived (Ctrl-C, kill, a closed terminal)."""


def _raise_stop(signum, frame):
    raise _Stop


class Command(BaseCommand):
    help = "Run DeployDojo locally: web server, Celery worker and beat, and a CPU lab runner."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("DEPLOYDOJO_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--no-runner", action="store_true", help="do not start the local CPU lab runner")

    def handle(self, *args, addr: str, no_runner: bool, **options):
        procs: list[tuple[str, subprocess.Popen]] = []
        for sig in STOP_SIGNALS:
            signal.signal(sig, _raise_stop)
        try:
            call_command("migrate", verbosity=0, interactive=False)
            call_command("load_content")
            call_command("ensure_admin")
            self._start(procs, addr, no_runner)
            self.stdout.write(self.style.SUCCESS(
                f"\nDeployDojo is running at http://{addr}/  (Ctrl-C stops everything)\n"))
            while True:
                for name, proc in procs:
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping the rest")
                        raise _Stop
                time.sleep(0.5)
        except (_Stop, KeyboardInterrupt):
            pass
        finally:
            self._stop(procs)

    def _start(self, procs: list[tuple[str, subprocess.Popen]], addr: str, no_runner: bool) -> None:
        py = sys.executable
        schedule = str(settings.VAR_DIR / "celerybeat-schedule")
        children = [
            ("web", [py, "manage.py", "runserver", addr, "--noreload"], None),
            ("worker", [py, "-m", "celery", "-A", "config", "worker", "-Q", "celery,judge", "-c", "2", "-l", "INFO"],
             None),
            ("beat", [py, "-m", "celery", "-A", "config", "beat", "-l", "INFO", "-s", schedule], None),
        ]
        runner_env = None if no_runner else self._runner_env(addr)
        if runner_env:
            children.append(("cpu-runner", [py, "-m", "gpu_runner", "--name", "local-cpu"], runner_env))
        for name, argv, env in children:
            procs.append((name, subprocess.Popen(argv, env=env, start_new_session=True,
                                                 preexec_fn=preexec_die_with_parent())))

    def _runner_env(self, addr: str) -> dict | None:
        """The local runner's environment, or None when the lab side is not installed in this build."""
        try:
            out = io.StringIO()
            call_command("local_runner_token", stdout=out)  # the labs app's; core imports no app above it
        except CommandError:
            return None
        token = out.getvalue().strip()
        return {**os.environ, "DEPLOYDOJO_SITE_URL": f"http://{addr}", "DEPLOYDOJO_RUNNER_TOKEN": token,
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}

    def _stop(self, procs: list[tuple[str, subprocess.Popen]]) -> None:
        """SIGTERM each child, wait up to STOP_GRACE_S (a second stop signal cuts the wait short), then SIGKILL
        what is left of every child's process group. Signals that arrive meanwhile do not interrupt it."""
        hurry = []
        for sig in STOP_SIGNALS:
            signal.signal(sig, lambda *_: hurry.append(1))
        for _name, proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        while not hurry and time.monotonic() < deadline and any(p.poll() is None for _n, p in procs):
            time.sleep(0.1)
        for _name, proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the group outlives its leader: pool and lab processes
            except ProcessLookupError:
                pass
            proc.wait()
        if procs:
            self.stdout.write("stopped")
