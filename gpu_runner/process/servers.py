"""Servers a lab starts for a job (an OpenAI-compatible server on loopback): each in its own process group, killed
with it, its output in the job's log; a free loopback port; whether a process group still has a live member."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpu_runner.process.fresh import LogTail


class ServerStartFailed(RuntimeError):
    """The engine's server exited or did not answer /v1/models in time; the message ends with its log tail."""


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the thread that started it dies. The server has its own session, so
    a runner killed outright (SIGKILL, OOM) would otherwise leave it serving: one such orphan grew to 14 GB here."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """One server in its own process group; its output goes to the job's log and a tail of its own."""

    def __init__(self, cmd: list[str], *, base_url: str, job_log: LogTail | None = None,
                 env: dict[str, str] | None = None):
        self.cmd, self.base_url = cmd, base_url
        self.tail = LogTail(max_chars=4000)
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1",
               "TOKENIZERS_PARALLELISM": "false", **(env or {})}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env, start_new_session=True, text=True, errors="replace",
                                     preexec_fn=_die_with_parent)  # noqa: PLW1509 - prctl only
        self.pgid = self.proc.pid
        self._reader = threading.Thread(target=self._read, args=(job_log,), daemon=True)
        self._reader.start()

    def _read(self, job_log: LogTail | None) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.tail.add(line)
            if job_log is not None:
                job_log.add(line)

    def wait_ready(self, timeout_s: float, cancelled: Callable[[], None] = lambda: None,
                   model: str | None = None) -> dict[str, Any]:
        """Poll until the server is ready and return its model entry; raise ServerStartFailed (with the log tail)
        otherwise. With `model` (the server was started for that one model) ready means GET /health answers 200:
        `transformers serve MODEL` loads its model before it listens (ModelManager's force_model, 5.17 to 5.24) and
        vLLM's /health answers once its engine is up. /v1/models is no readiness signal there: before transformers
        5.24 it lists only the Hugging Face hub cache (a 500 CacheNotFound on an empty one, or a list without the
        local model). Without `model` (or a server without /health) it waits for /v1/models to list a model."""
        import httpx

        deadline = time.monotonic() + timeout_s
        while True:
            code = self.proc.poll()
            if code is not None:
                self._reader.join(timeout=2)
                raise ServerStartFailed(f"the server exited with code {code} before it was ready.\n"
                                        f"command: {' '.join(self.cmd)}\nlast output:\n{self.tail.text()}")
            with contextlib.suppress(httpx.HTTPError, ValueError):
                health = httpx.get(f"{self.base_url}/health", timeout=2.0, trust_env=False) if model else None
                if health is not None and health.status_code == 200:
                    return {"id": model, "ready": "/health"}
                if health is None or health.status_code == 404:
                    resp = httpx.get(f"{self.base_url}/v1/models", timeout=2.0, trust_env=False)
                    if resp.status_code == 200 and resp.json().get("data"):
                        return {**resp.json()["data"][0], "ready": "/v1/models"}
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartFailed(f"the server was not ready within {timeout_s:.0f} s "
                                        f"({'/health' if model else '/v1/models'} never answered 200).\n"
                                        f"command: {' '.join(self.cmd)}\nlast output:\n{self.tail.text()}")
            cancelled()
            time.sleep(0.5)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM the whole process group, SIGKILL what is left after grace_s; reap the leader."""
        for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.pgid, sig)
            except ProcessLookupError:
                break
            end = time.monotonic() + wait
            while time.monotonic() < end and group_alive(self.pgid):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=0.1)
            if not group_alive(self.pgid):
                break
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self._reader.join(timeout=2)


def group_pids(pgid: int) -> list[int]:
    """The live (not zombie) members of a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == pgid and fields[0] != "Z":  # state, ppid, pgrp
            members.append(int(entry.name))
    return members


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie leader still counts for killpg: look for a member that is not a zombie.
    return bool(group_pids(pgid))
