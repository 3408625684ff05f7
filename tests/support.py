"""Helpers the test modules and conftest share (a worker's environment, purging broker queues). Test modules
import them from here, never from conftest.py or from each other: pytest imports conftest.py itself, and a
test module imported by another runs its module-level code twice."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest


def worker_env() -> dict[str, str]:
    """Environment for a worker process that talks to the *test* database pytest-django created."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **{k: v for k, v in os.environ.items() if k != "GPU_RUNNER_INLINE_CHILDREN"},
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
    }


def cmdline(process) -> str:
    """A child process's command line, or "" for one that exits while we look (a zombie until its parent reaps it:
    runserver's reloader and a Celery pool start and reap short-lived children all the time)."""
    import psutil

    try:
        return " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):  # psutil.ZombieProcess is a NoSuchProcess
        return ""


def purge_queues(queues: list[str]) -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        for q in queues:
            try:
                conn.default_channel.queue_purge(q)
            except Exception:  # noqa: BLE001 - a queue that does not exist yet has nothing to purge
                pass


def browser_login(page, live_server, username: str = "alice", password: str = "s3cret-pass-123") -> None:
    """Log in through the real login form (the `user` fixture's credentials by default)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url("**/dashboard/")


class FakeNvml:
    """Test double of pynvml (no NVIDIA driver on this machine): two GPUs with fixed readings; GPU 1 reports
    no power, as many laptop parts do."""

    NVML_TEMPERATURE_GPU = 0

    class NotSupported(Exception):
        pass

    def __init__(self) -> None:
        self.inits = 0
        self.mem_used = 6 << 30

    def nvmlInit(self) -> None:
        self.inits += 1

    def nvmlShutdown(self) -> None:
        pass

    def nvmlDeviceGetCount(self) -> int:
        return 2

    def nvmlDeviceGetHandleByIndex(self, i: int) -> int:
        return i

    def nvmlDeviceGetHandleByUUID(self, uuid: str) -> int:
        return 1

    def nvmlDeviceGetName(self, h: int) -> str:
        return ["NVIDIA H200", "NVIDIA GeForce RTX 4070 Laptop GPU"][h]

    def nvmlSystemGetDriverVersion(self) -> str:
        return "580.65.06"

    def nvmlDeviceGetEnforcedPowerLimit(self, h: int) -> int:
        return 700_000

    def nvmlDeviceGetUtilizationRates(self, h: int) -> SimpleNamespace:
        return SimpleNamespace(gpu=87, memory=40)

    def nvmlDeviceGetMemoryInfo(self, h: int) -> SimpleNamespace:
        return SimpleNamespace(used=self.mem_used, total=141 << 30, free=(141 << 30) - self.mem_used)

    def nvmlDeviceGetPowerUsage(self, h: int) -> int:
        if h == 1:
            raise self.NotSupported("Not Supported")
        return 412_500

    def nvmlDeviceGetTemperature(self, h: int, sensor: int) -> int:
        return 55


LAB_RESULTS = Path(__file__).parent / "data" / "lab_results"  # real results of each lab's runner code


def runner_system_info(**changes) -> dict:
    """System info as a CUDA runner host reports it with a job (one H200), for pages that show it."""
    info = {"cpu": {"model": "AMD EPYC 7763 64-Core Processor", "cores": 16}, "ram_bytes": 128 * 1024**3,
            "cuda_devices": [{"name": "NVIDIA H200", "memory_bytes": 150_000_000_000, "compute_capability": "9.0",
                              "driver": "570.124.06"}],
            "versions": {"torch": "2.13.0", "transformers": "4.57.1", "vllm": None},
            "queues": ["lab.cpu", "lab.cuda"], "hostname": "gpu-box", "queue": "lab.cuda"}
    info.update(changes)
    return {k: v for k, v in info.items() if v is not ...}


def lab_result(name: str) -> dict:
    """A real result from tests/data/lab_results (e.g. "quant-inference", "cpp-tokenizer-ce")."""
    import json

    return json.loads((LAB_RESULTS / f"{name}.json").read_text(encoding="utf-8"))


def make_lab_job(user, lab: str, result: dict | None, *, params: dict | None = None, status: str = "succeeded",
                 **extra):
    """A finished lab job as a runner leaves it, with runner_system_info() unless system_info is given."""
    from django.utils import timezone

    from labs.models import LabJob

    return LabJob.objects.create(user=user, lab=lab, queue="lab.cpu", params=params or {}, status=status,
                                 result=result, progress=100, stage="完成", finished_at=timezone.now(),
                                 **{"system_info": runner_system_info(), **extra})


def lab_job_page(client, job, lang: str = "zh-hans") -> str:
    """The job page's HTML in a language, asserting it answered 200."""
    from django.urls import reverse

    client.cookies["django_language"] = lang
    response = client.get(reverse("lab_job", args=[job.pk]))
    assert response.status_code == 200
    return response.content.decode()


def planner_devices(user) -> list[dict]:
    """A `planner_devices` hook (planner.devices) as an app declares it (evidence does): one runner with the
    bandwidth its quantization job measured."""
    return [{"key": 7, "name": "gpu-box (RTX 4070 Laptop, measured)", "memory_gib": 8.0, "bandwidth_gb_s": 231.5,
             "source": "measured device-to-device copy"}]


@pytest.fixture(scope="module")
def inline_children():
    """Run each lab configuration in the test process instead of a fresh child (gpu_runner.process.fresh's inline
    mode): the same code, JSON round trip and errors, without ~4 s of imports per child. For shape tests; the
    end-to-end tests go through a real runner and real children (runners never inherit it: see worker_env)."""
    from gpu_runner.process.fresh import INLINE_ENV

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(INLINE_ENV, "1")
        yield


def gunicorn_site(tmp_path: Path, env: dict[str, str]):
    """A real gunicorn (one worker) on a free loopback port with `env`; yields its base URL once /healthz answers,
    stops it after. Its log is tmp_path/gunicorn.log (shown when it does not come up)."""
    import subprocess
    import sys
    import time

    import requests

    from gpu_runner.process.servers import free_port

    port = free_port()
    root = Path(__file__).resolve().parent.parent
    with open(tmp_path / "gunicorn.log", "w") as log:
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--bind",
                                   f"127.0.0.1:{port}", "--workers", "1"], cwd=root, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(base + "/healthz", timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.3)
        try:
            yield base
        finally:
            server.terminate()
            server.wait(timeout=20)


def queued_job(user, lab: str, params: dict):
    """A job as the site queues one: params checked and filled by the contract for lab.cpu, then dispatched."""
    import labcontract
    from labs import services
    from labs.models import LabJob

    filled = labcontract.lab_params_with_defaults(lab, params, queue="lab.cpu")
    job = LabJob.objects.create(user=user, lab=lab, queue="lab.cpu", params=filled)
    services.dispatch(job)
    return job


def finished_job(job, timeout: float):
    """The job once a runner finished it (succeeded, failed or cancelled), waiting up to `timeout` seconds."""
    from labs.models import LabJob
    from tests.faultkit import wait_for

    return wait_for(lambda: LabJob.objects.filter(id=job.id, status__in=LabJob.FINISHED).first(), timeout,
                    f"{job.lab} job finished")


def load_real_content() -> None:
    """`load_content` of the real content/ into the test database, quietly."""
    from io import StringIO

    from django.core.management import call_command

    call_command("load_content", verbosity=0, stdout=StringIO())


class ContentSnapshot:
    """The rows `load_content` left in the test database, copied out once per session (PostgreSQL COPY, binary) and
    copied back after a transactional test flushed them: 0.6-1 s here instead of re-running load_content (~7 s).
    Every test that needs the content (tests/conftest.py says which) then starts with it, whatever ran before it,
    so none depends on the order the suite (or a pytest-xdist worker) runs them in."""

    def __init__(self) -> None:
        from django.db import connection

        self.tables: dict[str, bytes] = {}
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for table in connection.introspection.django_table_names(only_existing=True, include_views=False):
                if table == "django_migrations":
                    continue
                cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")')
                if not cursor.fetchone()[0]:
                    continue
                data = bytearray()
                with cursor.cursor.copy(f'COPY "{table}" TO STDOUT (FORMAT BINARY)') as copy:
                    for chunk in copy:
                        data += chunk
                self.tables[table] = bytes(data)

    @staticmethod
    def present() -> bool:
        from tracker.models import Phase

        return Phase.objects.exists()

    def restore(self) -> None:
        """Put the content back into a flushed database (every table it touches is truncated first)."""
        from django.apps import apps
        from django.core.management.color import no_style
        from django.db import connection, transaction

        from core.versions import bump_content_version

        if not self.tables:  # not PostgreSQL: load it again
            load_real_content()
            return
        names = ", ".join(f'"{t}"' for t in self.tables)
        models = [m for m in apps.get_models(include_auto_created=True) if m._meta.db_table in self.tables]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
            if (cursor.fetchone() or [False])[0]:  # the exercises' hidden tests are 16 MB of JSON: lz4 halves the copy
                cursor.execute("SET LOCAL default_toast_compression = 'lz4'")
            cursor.execute(f"TRUNCATE {names} CASCADE")
            for table, data in self.tables.items():
                with cursor.cursor.copy(f'COPY "{table}" FROM STDIN (FORMAT BINARY)') as copy:
                    copy.write(data)
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
            bump_content_version()
