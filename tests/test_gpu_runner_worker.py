"""execute_job and the HTTP client against a real local HTTP server that stands in for the Django site
(FakeSite: the site's runner API is not part of this package's tests), plus fresh-process cancellation."""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import labcontract
from gpu_runner.errors import ChildFailed, LabCancelled, Unsupported
from gpu_runner.process.fresh import run_in_fresh_process
from gpu_runner.service.site_client import SiteClient
from gpu_runner.service.worker import Heartbeat, execute_job, make_celery_app
from tests.support import FakeNvml

TOKEN = "runner-secret"
CAPS = {"cpu": {"model": "test", "cores": 2}, "ram_bytes": 1, "cuda_devices": [], "versions": {}, "queues": ["lab.cpu"]}


class FakeSite:
    """Records every call; answers per endpoint from `answers` (status, body), validating bodies like the site."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict, str]] = []
        self.answers: dict[str, list[tuple[int, dict]]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint = self.path.rsplit("/", 1)[-1]
                site.calls.append((endpoint, body, self.headers.get("Authorization", "")))
                labcontract.validate(endpoint, body)
                queue = site.answers.get(endpoint) or [(200, {"ok": True})]
                status, answer = queue.pop(0) if len(queue) > 1 else queue[0]
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def endpoints(self) -> list[str]:
        return [c[0] for c in self.calls]


@pytest.fixture
def site():
    s = FakeSite()
    yield s
    s.server.shutdown()


def _client(site: FakeSite) -> SiteClient:
    return SiteClient(site.url, TOKEN, timeout_s=10, retries=2, backoff_s=0.01)


VLLM_ONLY = {"job_id": 7, "attempt": 1, "lab": "vllm-batch", "params": {"engines": ["vllm"]}}


def test_job_posts_start_progress_and_result_with_the_bearer_token(site):
    # vLLM alone on a CPU runner measures nothing: the result is posted and the job counts as failed (issue 18).
    assert execute_job(VLLM_ONLY, _client(site), queue="lab.cpu", capabilities=CAPS) == "failed"
    assert site.endpoints()[0] == "start" and site.endpoints()[-1] == "result"
    assert "progress" in site.endpoints()
    assert {c[2] for c in site.calls} == {f"Bearer {TOKEN}"}
    start = site.calls[0][1]
    assert start["attempt"] == 1 and start["system_info"]["queue"] == "lab.cpu"
    result = site.calls[-1][1]["result"]
    assert result["lab"] == "vllm-batch" and result["engines"][0]["status"] == "unsupported"


def test_params_from_the_start_answer_win_over_the_payload(site):
    site.answers["start"] = [(200, {"ok": True, "params": {"engines": ["vllm"], "num_prompts": 3}})]
    job = {**VLLM_ONLY, "params": {"engines": ["vllm"], "num_prompts": 99}}
    assert execute_job(job, _client(site), queue="lab.cpu", capabilities=CAPS) == "failed"
    assert site.endpoints()[-1] == "result"


def test_a_refused_start_ends_the_job_quietly(site):
    site.answers["start"] = [(409, {"error": "job cancelled"})]
    assert execute_job(VLLM_ONLY, _client(site), capabilities=CAPS) == "skipped"
    assert site.endpoints() == ["start"]


def test_a_cancel_seen_in_a_progress_answer_stops_the_job_without_a_result(site):
    site.answers["progress"] = [(200, {"ok": True, "cancelled": True})]
    job = {"job_id": 8, "attempt": 2, "lab": "quant-inference", "params": {"precisions": ["fp32"]}}
    assert execute_job(job, _client(site), queue="lab.cpu", capabilities=CAPS) == "cancelled"
    assert site.endpoints() == ["start", "progress"]


def test_a_finished_attempt_answering_409_to_the_result_counts_as_recorded(site):
    site.answers["result"] = [(409, {"error": "attempt already finished"})]
    assert execute_job(VLLM_ONLY, _client(site), capabilities=CAPS) == "failed"
    assert site.endpoints().count("result") == 1 and "failure" not in site.endpoints()


def test_params_that_break_the_lab_schema_are_reported_as_a_failure(site):
    job = {"job_id": 9, "attempt": 1, "lab": "quant-inference", "params": {"precisions": ["fp64"]}}
    assert execute_job(job, _client(site), capabilities=CAPS) == "failed"
    assert site.endpoints() == ["start", "failure"]
    assert "precisions" in site.calls[-1][1]["error"]


def test_a_job_whose_params_its_queue_cannot_run_is_refused_before_anything_runs(site):
    job = {"job_id": 10, "attempt": 1, "lab": "finetune", "params": {"method": "qlora-nf4"}}
    assert execute_job(job, _client(site), queue="lab.cpu", capabilities=CAPS) == "failed"
    assert site.endpoints() == ["start", "failure"]
    assert "qlora-nf4 needs a CUDA GPU; queue the job on lab.cuda" in site.calls[-1][1]["error"]


def test_a_malformed_payload_never_reaches_the_site(site):
    assert execute_job({"job_id": 0, "lab": "nope"}, _client(site), capabilities=CAPS) == "invalid"
    assert site.calls == []


def test_server_errors_are_retried_and_client_errors_are_not(site):
    site.answers["heartbeat"] = [(503, {"error": "busy"}), (200, {"ok": True, "runner": "r"})]
    assert _client(site).heartbeat(CAPS)["runner"] == "r"
    assert site.endpoints() == ["heartbeat", "heartbeat"]
    site.answers["heartbeat"] = [(401, {"error": "revoked"})]
    with pytest.raises(Exception, match="401"):
        _client(site).heartbeat(CAPS)
    assert len(site.calls) == 3


def test_an_unreachable_site_raises_connection_error_after_the_retries():
    client = SiteClient("http://127.0.0.1:9", TOKEN, timeout_s=2, retries=1, backoff_s=0.01)
    with pytest.raises(ConnectionError, match="2 tries"):
        client.heartbeat(CAPS)


def test_heartbeat_posts_at_start_and_then_on_its_interval(site):
    beat = Heartbeat(_client(site), CAPS, interval_s=0.2)
    beat.start()
    time.sleep(0.5)
    beat.stop()
    beat.join(timeout=5)
    assert site.endpoints()[0] == "heartbeat" and 2 <= beat.beats <= 4
    assert site.calls[0][1]["capabilities"] == CAPS
    assert site.calls[0][1]["running_jobs"] == [] and site.calls[0][1]["boot_id"]


def test_every_heartbeat_lists_the_jobs_this_process_holds(site):
    from gpu_runner.service.worker import RunningJobs

    held = RunningJobs()
    held.add(7)
    held.add(3)
    beat = Heartbeat(_client(site), CAPS, interval_s=60, running=held)
    beat.start()
    time.sleep(0.3)
    beat.stop()
    beat.join(timeout=5)
    assert site.calls[0][1]["running_jobs"] == [3, 7]


def test_celery_app_registers_one_task_per_served_queue_with_late_acks(site, monkeypatch):
    # make_celery_app puts its broker URL into the environment (the runner's own process); here the test
    # process's, which monkeypatch restores: the site's Celery app reads that variable too.
    monkeypatch.setenv("CELERY_BROKER_URL", "memory://")
    app = make_celery_app("memory://", ["lab.cpu", "lab.cuda"], _client(site), CAPS)
    names = {n for n in app.tasks if n.startswith("lab.")}
    assert names == {"lab.cpu.run_lab", "lab.cuda.run_lab"}
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    assert [q.name for q in app.conf.task_queues] == ["lab.cpu", "lab.cuda"]


# ---- fresh processes: targets below run in a child interpreter ----------------------------------------

def sleepy_child(spec: dict, report: Any) -> dict:
    for i in range(600):
        report(i / 600, f"pid {os.getpid()}")
        time.sleep(0.05)
    return {"finished": True}


def failing_child(spec: dict, report: Any) -> dict:
    if spec["kind"] == "unsupported":
        raise Unsupported("no such back-end here")
    raise RuntimeError("boom")


def test_cancelling_kills_the_measurement_process():
    pids: list[int] = []

    def on_progress(fraction: float, stage: str) -> bool:
        pids.append(int(stage.split()[1]))
        return len(pids) >= 3

    with pytest.raises(LabCancelled):
        run_in_fresh_process("tests.test_gpu_runner_worker:sleepy_child", {}, on_progress=on_progress)
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)


def test_child_errors_come_back_as_unsupported_or_failed():
    with pytest.raises(Unsupported, match="no such back-end"):
        run_in_fresh_process("tests.test_gpu_runner_worker:failing_child", {"kind": "unsupported"})
    with pytest.raises(ChildFailed, match="RuntimeError: boom"):
        run_in_fresh_process("tests.test_gpu_runner_worker:failing_child", {"kind": "error"})


def _redis_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_the_runner_program_consumes_its_queue_from_redis_and_reports_to_the_site(site, monkeypatch):
    import subprocess
    import sys

    from celery import Celery

    broker = "redis://127.0.0.1:6379/15"
    # The site answers the first heartbeat with this runner's own queue; jobs are sent there, not to lab.cpu.
    site.answers["heartbeat"] = [(200, {"ok": True, "runner": "r", "queues": ["lab.cpu.r1"]})]
    env = dict(os.environ, DEPLOYDOJO_SITE_URL=site.url, DEPLOYDOJO_RUNNER_TOKEN=TOKEN, CELERY_BROKER_URL=broker)
    log = open("/tmp/deploydojo-test-runner-program.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "gpu_runner", "--name", "pytest-runner"], env=env,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        from kombu import Queue

        # How the site enqueues (config/celery.py): declared queues, task name + queue + payload kwargs.
        monkeypatch.setenv("CELERY_BROKER_URL", broker)  # Celery prefers this variable to broker=
        sender = Celery("site-side", broker=broker, fixups=[], set_as_current=False)  # never the "current app"
        sender.conf.task_queues = [Queue(q, routing_key=q) for q in labcontract.QUEUES]
        with sender.connection_for_write() as conn:  # nothing left over from an earlier, interrupted run
            try:
                conn.default_channel.queue_purge("lab.cpu.r1")
            except Exception:  # noqa: BLE001 - the queue may not exist yet
                pass
        sender.send_task("lab.cpu.run_lab", queue=Queue("lab.cpu.r1", routing_key="lab.cpu.r1"),
                         kwargs={**VLLM_ONLY, "job_id": 11})
        # Generous: the runner imports torch at start and the lab's child process imports transformers.
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and "result" not in site.endpoints():
            time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    calls = site.endpoints()
    assert calls[0] == "heartbeat"
    assert "result" in calls, f"no result posted within the deadline: {calls}"
    # A heartbeat may land at any time; the job's own calls come in order.
    assert [c for c in calls if c != "heartbeat"][0] == "start" and calls.index("start") < calls.index("result")
    assert site.calls[0][1]["capabilities"]["queues"][0] == "lab.cpu"


def test_explicit_broker_url_wins_over_the_environment_without_django_installed():
    """A GPU host that also runs the site has CELERY_BROKER_URL and DJANGO_SETTINGS_MODULE set; the runner
    must still use its --broker-url and work where Django is not installed (simulated by blocking it)."""
    import subprocess
    import sys

    code = (
        "import sys, importlib.abc\n"
        "class NoDjango(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'django' or name.startswith('django.'): raise ImportError('no django here')\n"
        "sys.meta_path.insert(0, NoDjango())\n"
        "from gpu_runner.service.worker import make_celery_app\n"
        "app = make_celery_app('redis://127.0.0.1:6379/15', ['lab.cpu'], None, {})\n"
        "print(app.connection_for_write().as_uri())\n"
    )
    env = dict(os.environ, CELERY_BROKER_URL="redis://127.0.0.1:6379/3", DJANGO_SETTINGS_MODULE="config.settings")
    out = subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", code], env=env, capture_output=True,
                         text=True, timeout=120, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("6379/15")


def test_a_result_that_breaks_its_lab_schema_is_posted_as_a_failure_naming_the_field(site, monkeypatch):
    half = {"lab": "vllm-batch", "model": "fixture", "device": "cpu", "engines": [{"engine": "vllm", "status": "ok"}]}
    monkeypatch.setattr("gpu_runner.service.worker.lab_runner", lambda lab: lambda params, ctx: half)
    assert execute_job(VLLM_ONLY, _client(site), queue="lab.cpu", capabilities=CAPS) == "failed"
    assert site.endpoints() == ["start", "failure"]
    error = site.calls[-1][1]["error"]
    assert "invalid result" in error and "result/engines/0" in error and "backend" in error


def test_a_tokenizer_check_that_did_not_compile_is_posted_with_its_report_and_counts_as_failed(site, monkeypatch):
    report = {"lab": "cpp-tokenizer", "status": "CE", "message": "a.cpp:1:10: fatal error: a.h: No such file or "
              "directory", "compile": {"ok": False, "message": "..."}, "source_files": [{"name": "a.cpp", "bytes": 3}]}
    monkeypatch.setattr("gpu_runner.service.worker.lab_runner", lambda lab: lambda params, ctx: report)
    job = {"job_id": 11, "attempt": 1, "lab": "cpp-tokenizer", "params": {"files": {"a.cpp": "x"}}}
    assert execute_job(job, _client(site), queue="lab.cpu", capabilities=CAPS) == "failed"
    assert site.endpoints() == ["start", "result"] and site.calls[-1][1]["result"]["status"] == "CE"


def test_a_cuda_job_posts_its_nvml_series_with_the_result_and_a_cpu_job_none(site, monkeypatch):
    """NVML through the whole job (tests.support.FakeNvml stands in for the driver this machine lacks)."""
    from gpu_runner.measure import nvml as telemetry
    from gpu_runner.service import worker

    monkeypatch.setattr(telemetry, "_load_nvml", lambda: FakeNvml())
    monkeypatch.setattr(worker, "JOB_TELEMETRY_INTERVAL_MS", 10)
    caps = {**CAPS, "queues": ["lab.cpu", "lab.cuda"]}
    assert execute_job(VLLM_ONLY, _client(site), queue="lab.cuda", capabilities=caps) == "failed"
    assert execute_job({**VLLM_ONLY, "job_id": 8}, _client(site), queue="lab.cpu", capabilities=caps) == "failed"
    cuda, cpu = [body["result"] for endpoint, body, _ in site.calls if endpoint == "result"]
    assert cuda["engines"][0]["reason"].startswith("vLLM is not installed")  # the job ran as a CUDA job
    t = cuda["telemetry"]
    assert t["status"] == "ok" and t["source"] == "NVML (nvidia-ml-py)" and t["device"]["name"] == "NVIDIA H200"
    assert set(t["series"]) == {"t_s", "util_pct", "mem_used_bytes", "power_w", "temperature_c"}
    assert t["samples"] == len(t["series"]["t_s"]) >= 2 and t["summary"]["util_pct_max"] == 87
    assert "telemetry" not in cpu


def test_a_cuda_job_on_a_host_without_nvml_says_why_it_has_no_series(site):
    caps = {**CAPS, "queues": ["lab.cpu", "lab.cuda"]}
    assert execute_job(VLLM_ONLY, _client(site), queue="lab.cuda", capabilities=caps) == "failed"
    t = site.calls[-1][1]["result"]["telemetry"]
    assert t["status"] == "unavailable" and "NVML did not initialise" in t["reason"]
