"""Real parts for fault tests and bench/faults.py: a Redis server of our own (killed and restarted without
persistence, so it loses every message), the site's Celery app pointed at it, real judge workers and
gpu_runner processes killed with SIGKILL."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from gpu_runner.process.servers import free_port

ROOT = Path(__file__).resolve().parent.parent



class OwnRedis:
    """redis-server on a free loopback port, no RDB/AOF: a kill loses its data, as the campaign's did."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="dd-redis-")
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> OwnRedis:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", self.dir], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def site_broker(url: str):
    """Point the site's Celery app (used by this process to enqueue) at `url`, restoring it afterwards."""
    from config.celery import app

    def reset() -> None:
        # Dropped, not closed: kombu's global pools registry may hand the same pools out again.
        app._pool = None
        app.amqp._producer_pool = None  # holds connections of its own to the previous broker

    # Celery reads CELERY_BROKER_URL from the environment before its configured value.
    old, old_env = app.conf.broker_url, os.environ.get("CELERY_BROKER_URL")
    reset()
    app.conf.broker_url = os.environ["CELERY_BROKER_URL"] = url
    try:
        yield app
    finally:
        reset()
        app.conf.broker_url = old
        if old_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = old_env


def start_judge_worker(env: dict[str, str], name: str, *, beat: bool = False, log_path: Path | None = None):
    cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "celery,judge", "-c", "2", "-l", "INFO",
           "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h"]
    if beat:
        cmd += ["--beat", "-s", str(Path(tempfile.mkdtemp(prefix="dd-beat-")) / "schedule")]
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def start_runner(site_url: str, token: str, broker_url: str, name: str, log_path: Path | None = None):
    env = {**os.environ, "DEPLOYDOJO_SITE_URL": site_url, "DEPLOYDOJO_RUNNER_TOKEN": token,
           "CELERY_BROKER_URL": broker_url}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("GPU_RUNNER_INLINE_CHILDREN", None)  # a real runner runs real children
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "gpu_runner", "--name", name], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s")
