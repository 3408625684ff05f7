"""Nothing outlives what started it: a Celery worker SIGKILLed takes its embedded beat and its pool with it;
`make run` (manage.py runlocal) runs beat as its own process, stops on Ctrl-C without a traceback and leaves no
process behind, and its children stop too if it is itself killed outright. Real processes throughout."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.faultkit import start_judge_worker, wait_for
from tests.support import cmdline, worker_env

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.worker, pytest.mark.slow]


def _alive(procs: list[psutil.Process]) -> list[str]:
    left = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            pass
    return left


@pytest.mark.django_db
def test_a_worker_killed_with_sigkill_takes_its_beat_and_its_pool_with_it(tmp_path):
    worker = start_judge_worker(worker_env(), f"pdeath-{os.getpid()}", beat=True, log_path=tmp_path / "worker.log")
    try:
        main = psutil.Process(worker.pid)
        # Two pool processes and the embedded beat, once they have started.
        wait_for(lambda: len(main.children()) >= 3, 60, "the worker's pool and beat")
        children = main.children(recursive=True)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        deadline = time.monotonic() + 15
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(children), f"outlived their worker: {_alive(children)}"
    finally:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ---- make run ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("runlocal-var")  # shared: the second start finds the database migrated


def _start_runlocal(var_dir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL",
                        "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEPLOYDOJO_VAR_DIR=str(var_dir))  # make run's defaults
    # Its own session, as a terminal gives `make run` a process group: Ctrl-C is SIGINT to that whole group.
    proc = subprocess.Popen([sys.executable, "manage.py", "runlocal", "--addr", f"127.0.0.1:{port}"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(base + "/", timeout=2).read()
            return proc, base
        except OSError:
            time.sleep(1)
    proc.kill()
    raise AssertionError(f"runlocal did not serve: {proc.communicate(timeout=30)[0][-3000:]}")


def _everything_started(proc: subprocess.Popen) -> list[psutil.Process]:
    def complete():
        found = psutil.Process(proc.pid).children(recursive=True)
        names = [cmdline(c) for c in found]
        ready = (any("runserver" in n for n in names) and any("gpu_runner" in n for n in names)
                 and any(" beat " in n and " worker " not in n for n in names)
                 and sum(" worker " in n for n in names) >= 3)  # the worker's main process and its pool of 2
        return found if ready else None

    return wait_for(complete, 120, "web, worker with its pool, beat and runner")


def test_make_run_stops_on_ctrl_c_without_a_traceback_and_leaves_nothing(var_dir):
    proc, base = _start_runlocal(var_dir)
    try:
        children = _everything_started(proc)
        assert not any("--beat" in cmdline(c).split() for c in children)  # beat is not the worker's passenger
        # The DEBUG=1 of make run: a visitor of an unknown portfolio link gets the product's 404, no URL patterns.
        with pytest.raises(urllib.error.HTTPError) as not_found:
            urllib.request.urlopen(f"{base}/p/{secrets.token_urlsafe(24)}/", timeout=30)
        page = not_found.value.read().decode()
        assert not_found.value.code == 404 and 'data-testid="not-found"' in page and "URLconf" not in page
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal
        output = proc.communicate(timeout=90)[0]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "Traceback" not in output, output[-4000:]
    assert output.rstrip().endswith("stopped"), output[-2000:]
    time.sleep(1)
    assert not _alive(children), f"left running: {_alive(children)}"


def test_make_run_killed_outright_takes_its_children_with_it(var_dir):
    proc, _base = _start_runlocal(var_dir)
    children: list[psutil.Process] = []
    try:
        children = _everything_started(proc)
        proc.kill()  # SIGKILL: no chance to stop anything itself
        proc.communicate(timeout=30)
        deadline = time.monotonic() + 30
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not _alive(children), f"outlived make run: {_alive(children)}"
    finally:
        proc.kill()
        for child in children:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
