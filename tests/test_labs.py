"""Lab jobs: the runner API's auth and idempotency, capability routing, a real gpu_runner process end to end,
and a runner killed mid-job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

import labcontract
from labs import services as labs
from labs.models import LabJob, Runner

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "tests" / "data" / "lab_results"


def result_data(name: str) -> dict:
    """A real result the lab's runner code produced (tests/data/lab_results/README.md)."""
    return json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
CAPS = {"cpu": {"model": "test", "cores": 2}, "ram_bytes": 1, "cuda_devices": [], "versions": {},
        "queues": ["lab.cpu"]}


def api(client, path: str, body, token: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(labcontract.API_PREFIX + path, data=data, content_type="application/json", **headers)


@pytest.fixture
def runner(user):
    return Runner.create_with_token(owner=user, name="laptop")


@pytest.fixture
def job(user, runner, django_capture_on_commit_callbacks):
    """A queued job dispatched to the user's runner (as dispatch() would, without a broker)."""
    with django_capture_on_commit_callbacks(execute=False):
        created = labs.job_create(user=user, lab="quant-inference", queue="lab.cpu", params={"precisions": ["fp32"]})
    LabJob.objects.filter(id=created.id).update(target=runner[0])
    created.refresh_from_db()
    return created


def started(client, job, token):
    return api(client, f"jobs/{job.id}/start", {"attempt": 1, "system_info": {"host": "x"}}, token)


@pytest.mark.django_db
class TestRunnerApi:
    def test_token_is_stored_hashed_and_shown_once(self, client_a, user):
        response = client_a.post(reverse("runner_create"), {"name": "4070"})
        token = response.content.decode().split('data-testid="runner-token">')[1].split("<")[0]
        runner = Runner.objects.get(owner=user)
        assert token.startswith("ddr_") and token not in runner.token_hash and runner.token_prefix == token[:8]
        assert token not in client_a.get(reverse("labs")).content.decode()

    def test_missing_wrong_and_revoked_tokens_are_401(self, client, runner):
        assert api(client, "heartbeat", {"capabilities": CAPS}, None).status_code == 401
        assert api(client, "heartbeat", {"capabilities": CAPS}, "ddr_wrong").status_code == 401
        obj, token = runner
        assert api(client, "heartbeat", {"capabilities": CAPS}, token).status_code == 200
        Runner.objects.filter(pk=obj.pk).update(revoked_at=timezone.now())
        response = api(client, "heartbeat", {"capabilities": CAPS}, token)
        assert response.status_code == 401 and "revoked" in response.json()["error"]

    def test_heartbeat_marks_online_with_capabilities(self, client, runner):
        obj, token = runner
        assert not obj.is_online
        api(client, "heartbeat", {"capabilities": CAPS}, token)
        obj.refresh_from_db()
        assert obj.is_online and obj.queues == ["lab.cpu"]

    def test_schema_errors_name_the_field(self, client, runner, job):
        _, token = runner
        response = api(client, f"jobs/{job.id}/start", {"attempt": "one", "system_info": {}}, token)
        assert response.status_code == 400 and response.json()["field"] == "attempt"
        assert api(client, "heartbeat", b"{not json", token).status_code == 400

    def test_oversized_result_is_refused_clearly(self, client, runner, job):
        _, token = runner
        started(client, job, token)
        big = {"attempt": 1, "result": {"blob": "x" * (labcontract.MAX_BODY_BYTES + 10)}}
        response = api(client, f"jobs/{job.id}/result", big, token)
        assert response.status_code == 413 and "body over" in response.json()["error"]
        job.refresh_from_db()
        assert job.status == LabJob.Status.RUNNING

    def test_another_runners_job_answers_as_one_that_does_not_exist(self, client, runner, job, make_user):
        _, token = runner
        _other, other_token = Runner.create_with_token(owner=make_user(), name="other")
        assert started(client, job, token).status_code == 200
        missing = api(client, "jobs/999999999/start", {"attempt": 1, "system_info": {}}, other_token)
        progress = {"attempt": 1, "progress": 50, "stage": "x"}
        refused = [started(client, job, other_token), api(client, f"jobs/{job.id}/progress", progress, other_token),
                   api(client, f"jobs/{job.id}/result", {"attempt": 1, "result": {}}, other_token)]
        # Same status, same words as a job id that does not exist: the id's existence does not leak.
        assert {(r.status_code, r.json()["error"]) for r in refused} == {(404, missing.json()["error"])}
        assert missing.status_code == 404 and "params" not in refused[0].json()

    def test_repeated_calls_change_nothing_and_late_posts_are_refused(self, client, runner, job):
        _, token = runner
        assert started(client, job, token).json()["params"]["precisions"] == ["fp32"]
        assert started(client, job, token).status_code == 200  # retried start: same answer
        result = {"attempt": 1, "result": result_data("quant-inference")}
        assert api(client, f"jobs/{job.id}/result", result, token).status_code == 200
        finished_at = LabJob.objects.get(id=job.id).finished_at
        assert api(client, f"jobs/{job.id}/result", result, token).status_code == 200  # duplicate
        assert LabJob.objects.get(id=job.id).finished_at == finished_at
        late = api(client, f"jobs/{job.id}/progress", {"attempt": 1, "progress": 10, "stage": "late"}, token)
        assert late.status_code == 409
        assert api(client, f"jobs/{job.id}/failure", {"attempt": 1, "error": "boom"}, token).status_code == 409
        assert LabJob.objects.get(id=job.id).status == LabJob.Status.SUCCEEDED

    def test_cancelling_tells_the_runner_through_progress(self, client, client_a, runner, job):
        _, token = runner
        started(client, job, token)
        client_a.post(reverse("lab_job_cancel", args=[job.id]))
        response = api(client, f"jobs/{job.id}/progress", {"attempt": 1, "progress": 20, "stage": "x"}, token)
        assert response.json() == {"ok": True, "cancelled": True}

    def test_invalid_lab_params_are_refused_with_the_field(self, client_a):
        response = client_a.post(reverse("lab_new", args=["quant-inference"]),
                                 {"queue": "lab.cpu", "precisions": ["fp32"], "gen_len": "1"})
        assert 'data-testid="form-error"' in response.content.decode() and "gen_len" in response.content.decode()
        assert not LabJob.objects.exists()

    def test_a_job_no_online_runner_can_serve_says_what_it_waits_for(self, client_a, user, runner, client):
        _, token = runner
        api(client, "heartbeat", {"capabilities": CAPS}, token)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(labs, "dispatch", lambda job: None)
            cuda = labs.job_create(user=user, lab="vllm-batch", queue="lab.vllm", params={})
            cpu = labs.job_create(user=user, lab="vllm-batch", queue="lab.cpu", params={})
        assert "vLLM" in labs.waiting_reason(cuda) and "lab.cpu" not in labs.waiting_reason(cpu)
        page = client_a.get(reverse("lab_job", args=[cuda.id])).content.decode()
        assert 'data-testid="waiting"' in page

    def test_a_result_that_breaks_its_schema_is_refused_naming_the_field_and_fails_the_job(self, client, runner, job):
        _, token = runner
        started(client, job, token)
        broken = result_data("quant-inference")
        del broken["precisions"][0]["decode_tokens_per_s"]
        response = api(client, f"jobs/{job.id}/result", {"attempt": 1, "result": broken}, token)
        assert response.status_code == 400 and response.json()["field"] == "result/precisions/0"
        assert "decode_tokens_per_s" in response.json()["error"]
        job.refresh_from_db()
        assert job.status == LabJob.Status.FAILED and job.result is None
        assert "result/precisions/0" in job.error and "decode_tokens_per_s" in job.error
        # The runner then reports the refusal as a failure: accepted, the site's reason stays.
        failure = api(client, f"jobs/{job.id}/failure", {"attempt": 1, "error": "the site did not accept"}, token)
        assert failure.status_code == 200
        job.refresh_from_db()
        assert "decode_tokens_per_s" in job.error

    def test_a_tokenizer_that_did_not_compile_fails_the_job_and_keeps_the_report(
            self, client, user, runner, django_capture_on_commit_callbacks):
        _, token = runner
        with django_capture_on_commit_callbacks(execute=False):
            job = labs.job_create(user=user, lab="cpp-tokenizer", queue="lab.cpu",
                                  params={"files": {"qwen_tokenizer.cpp": "#include \"qwen_tokenizer.h\"\n"}})
        LabJob.objects.filter(id=job.id).update(target=runner[0])  # as dispatch() would send it
        started(client, job, token)
        body = {"attempt": 1, "result": result_data("cpp-tokenizer-ce")}
        assert api(client, f"jobs/{job.id}/result", body, token).status_code == 200
        assert api(client, f"jobs/{job.id}/result", body, token).status_code == 200  # a retry changes nothing
        job.refresh_from_db()
        assert job.status == LabJob.Status.FAILED and job.result["status"] == "CE"
        assert job.error.startswith("CE: ") and "qwen_tokenizer.h: No such file or directory" in job.error

    @pytest.mark.parametrize(("lang", "reason", "failed_words"), [
        ("zh-hans", "WA：25/26 个文档的 token id 与参考分词器不一致", "所以这个任务记为失败"),
        ("en", "WA: 25 of 26 documents do not match the reference tokenizer", "so this job is failed")])
    def test_a_tokenizer_that_fails_parity_fails_the_job_naming_the_mismatches_and_keeps_its_table(
            self, client, client_a, user, runner, django_capture_on_commit_callbacks, lang, reason, failed_words):
        from labs import evidence

        _, token = runner
        with django_capture_on_commit_callbacks(execute=False):
            job = labs.job_create(user=user, lab="cpp-tokenizer", queue="lab.cpu",
                                  params={"files": {"qwen_tokenizer.cpp": "int main() {}\n"}})
        LabJob.objects.filter(id=job.id).update(target=runner[0])
        started(client, job, token)
        naive = result_data("cpp-tokenizer-ok")
        naive.update(status="WA", exact_match_rate=1 / 26, documents_matched=1, first_mismatch={"document": "01"},
                     invalid_utf8={"ok": False, "returncode": 0, "stderr": ""})
        naive.pop("throughput")
        for document in naive["documents"][1:]:
            document.update(match=False, candidate_tokens=(document["reference_tokens"] or 0) + 1)
        assert api(client, f"jobs/{job.id}/result", {"attempt": 1, "result": naive}, token).status_code == 200
        job.refresh_from_db()
        assert job.status == LabJob.Status.FAILED and job.result["documents_matched"] == 1
        assert job.error == "WA: 25 of 26 documents do not match the reference tokenizer"
        assert "cpp-tokenizer" not in evidence.representatives(user)  # never the learner's evidence
        client_a.cookies["django_language"] = lang
        html = client_a.get(reverse("lab_job", args=[job.id])).content.decode()
        assert 'data-status="failed"' in html and reason in html
        # What the learner debugs with stays: the per-document table, the invalid-UTF-8 check, the first mismatch.
        assert "<code>02_chinese_prose.txt</code>" in html and html.count("✗") == 25
        assert 'data-testid="invalid-utf8"' in html and 'data-testid="parity-failed"' in html
        assert failed_words in html.split('data-testid="parity-failed"')[1].split("</p>")[0]

    @pytest.mark.parametrize(("lang", "reason"), [("zh-hans", "WA：内核在 1/4 个尺寸上结果错误"),
                                                  ("en", "WA: the kernel gives wrong results on 1 of 4 sizes")])
    def test_a_wrong_kernel_fails_the_job_is_never_evidence_and_keeps_its_first_bad_element(
            self, client, client_a, user, runner, django_capture_on_commit_callbacks, lang, reason):
        from labs import evidence

        _, token = runner
        with django_capture_on_commit_callbacks(execute=False):
            job = labs.job_create(user=user, lab="kernels", queue="lab.cpu",
                                  params={"problem": "softmax", "target": "cpu", "source": "// starter\n"})
        LabJob.objects.filter(id=job.id).update(target=runner[0])
        started(client, job, token)
        wrong = result_data("kernels-softmax-starter")  # a real result: the starter's softmax is wrong at once
        assert api(client, f"jobs/{job.id}/result", {"attempt": 1, "result": wrong}, token).status_code == 200
        job.refresh_from_db()
        assert job.status == LabJob.Status.FAILED and job.result["status"] == "WA"
        assert job.error == "WA: the kernel gives wrong results on 1 of 4 sizes"
        assert "kernels" not in evidence.representatives(user)
        client_a.cookies["django_language"] = lang
        html = client_a.get(reverse("lab_job", args=[job.id])).content.decode()
        assert 'data-status="failed"' in html and reason in html
        bad = wrong["sizes"][0]["first_bad"]
        assert f"<code>{bad['got']}</code>" in html  # the element to debug with stays on the page

    def test_other_users_job_page_is_404(self, client, job, other_user):
        client.force_login(other_user)
        assert client.get(reverse("lab_job", args=[job.id])).status_code == 404


@pytest.mark.django_db
def test_runner_silent_mid_job_is_requeued_once_then_failed(client, runner, job, settings, monkeypatch):
    sent = []
    monkeypatch.setattr(labs, "dispatch", lambda j: sent.append((j.id, j.attempt)))
    obj, token = runner
    api(client, "heartbeat", {"capabilities": CAPS}, token)
    started(client, job, token)
    Runner.objects.filter(pk=obj.pk).update(last_seen_at=timezone.now() - timezone.timedelta(minutes=10))
    assert labs.jobs_reap_stale() == {"lab_jobs_requeued": 1, "lab_jobs_failed": 0, "lab_jobs_resent": 0}
    job.refresh_from_db()
    assert job.status == LabJob.Status.QUEUED and job.attempt == 2 and sent == [(job.id, 2)]
    # The old attempt's late result is refused; the new attempt runs and goes silent too.
    assert api(client, f"jobs/{job.id}/result", {"attempt": 1, "result": {}}, token).status_code == 409
    api(client, f"jobs/{job.id}/start", {"attempt": 2, "system_info": {}}, token)
    Runner.objects.filter(pk=obj.pk).update(last_seen_at=timezone.now() - timezone.timedelta(minutes=10))
    assert labs.jobs_reap_stale() == {"lab_jobs_requeued": 0, "lab_jobs_failed": 1, "lab_jobs_resent": 0}
    job.refresh_from_db()
    assert job.status == LabJob.Status.FAILED and "心跳" in job.error


# ---- a real gpu_runner process, on Redis, against a live server ---------------------------------------


@pytest.fixture
def gpu_runner_process(live_server, transactional_db, make_user):
    from tests.support import purge_queues

    purge_queues(list(labcontract.QUEUES))
    owner = make_user("runner-owner")
    runner, token = Runner.create_with_token(owner=owner, name="ci-cpu")
    from django.conf import settings

    env = {**os.environ, "DEPLOYDOJO_SITE_URL": live_server.url, "DEPLOYDOJO_RUNNER_TOKEN": token,
           "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    (ROOT / "var").mkdir(exist_ok=True)  # a fresh clone has none
    log = open(ROOT / "var" / "test-gpu-runner.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "gpu_runner", "--name", f"ci-{os.getpid()}"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        runner.refresh_from_db()
        if runner.is_online:
            break
        assert proc.poll() is None, "gpu_runner exited at start; see var/test-gpu-runner.log"
        time.sleep(0.5)
    else:
        raise AssertionError("gpu_runner sent no heartbeat within 90 s")
    yield owner, runner, proc
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_job(job_id: int, statuses, timeout: float) -> LabJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = LabJob.objects.get(id=job_id)
        if job.status in statuses:
            return job
        time.sleep(1)
    raise AssertionError(f"job {job_id} still {LabJob.objects.get(id=job_id).status} after {timeout} s; "
                         "see var/test-gpu-runner.log")


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.timeout(1200)  # three real labs on SmolLM2; each wait below has its own 600 s limit
def test_real_runner_runs_every_lab_on_cpu_and_never_takes_cuda_jobs(gpu_runner_process):
    owner, runner, _proc = gpu_runner_process
    if "lab.cuda" in runner.queues:
        pytest.skip("this runner host has a CUDA GPU: the CPU-only routing below does not apply")
    assert runner.queues == ["lab.cpu"]
    cuda = labs.job_create(user=owner, lab="quant-inference", queue="lab.cuda", params={})
    quant = labs.job_create(user=owner, lab="quant-inference", queue="lab.cpu",
                            params={"model": "fixture", "precisions": ["fp32", "int8"], "repeats": 2, "gen_len": 8})
    batch = labs.job_create(user=owner, lab="vllm-batch", queue="lab.cpu",
                            params={"model": "fixture", "num_prompts": 8, "output_len": 8, "static_batch_size": 4})
    reference = (ROOT / "gpu_runner" / "cpp" / "qwen_tokenizer.cpp").read_text(encoding="utf-8")
    header_files = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "gpu_runner" / "cpp").glob("*.h")}
    cpp = labs.job_create(user=owner, lab="cpp-tokenizer", queue="lab.cpu",
                          params={"files": {"qwen_tokenizer.cpp": reference, **header_files}})

    quant = wait_job(quant.id, LabJob.FINISHED, 600)
    assert quant.status == LabJob.Status.SUCCEEDED, quant.error
    rows = {e["precision"]: e for e in quant.result["precisions"]}
    assert rows["fp32"]["status"] == "ok" and rows["fp32"]["decode_tokens_per_s"] > 0
    assert rows["int8"]["weight_bytes"] < rows["fp32"]["weight_bytes"]
    assert quant.runner_id == runner.id and quant.system_info["queue"] == "lab.cpu" and quant.progress == 100

    batch = wait_job(batch.id, LabJob.FINISHED, 600)
    assert batch.status == LabJob.Status.SUCCEEDED, batch.error
    engines = {e["engine"]: e for e in batch.result["engines"]}
    # Shape, not speed: static batching's speed-up is a bench/labs.py figure (a ratio in one process).
    assert engines["hf-static-batch"]["status"] == engines["hf-sequential"]["status"] == "ok"
    assert engines["hf-static-batch"]["speedup_vs_sequential"] == pytest.approx(
        engines["hf-static-batch"]["requests_per_s"] / engines["hf-sequential"]["requests_per_s"])
    assert engines["vllm"]["status"] == "unsupported"

    cpp = wait_job(cpp.id, LabJob.FINISHED, 600)
    assert cpp.status == LabJob.Status.SUCCEEDED, cpp.error
    assert cpp.result["exact_match_rate"] == 1.0

    cuda.refresh_from_db()
    assert cuda.status == LabJob.Status.QUEUED and cuda.runner is None
    assert "CUDA" in labs.waiting_reason(cuda)


@pytest.mark.worker
@pytest.mark.slow
def test_runner_killed_mid_job_ends_requeued_after_the_heartbeat_timeout(gpu_runner_process, settings):
    owner, runner, proc = gpu_runner_process
    job = labs.job_create(user=owner, lab="vllm-batch", queue="lab.cpu",
                          params={"model": "fixture", "num_prompts": 64, "output_len": 64, "repeats": 3})
    wait_job(job.id, [LabJob.Status.RUNNING], 120)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    settings.RUNNER_HEARTBEAT_TIMEOUT_S = 1
    time.sleep(1.5)
    outcome = labs.jobs_reap_stale()
    job.refresh_from_db()
    assert outcome["lab_jobs_requeued"] == 1
    assert job.status == LabJob.Status.QUEUED and job.attempt == 2 and job.runner is None


# ---- a check that does not compile, end to end through the runner's execute_job ---------------------------


def _sandbox_missing() -> str:
    import sandbox

    ok, why = sandbox.available()
    return "" if ok else why


@pytest.mark.skipif(bool(_sandbox_missing()), reason=_sandbox_missing() or "sandbox available")
def test_the_reference_cpp_without_its_header_is_a_failed_check_with_the_compiler_message(
        live_server, transactional_db, make_user, client, monkeypatch):
    from gpu_runner.service.site_client import SiteClient
    from gpu_runner.service.worker import execute_job

    owner = make_user("header-less")
    runner, token = Runner.create_with_token(owner=owner, name="laptop")
    monkeypatch.setattr(labs, "dispatch", lambda job: True)  # driven directly below, not through the broker
    reference = (ROOT / "gpu_runner" / "cpp" / "qwen_tokenizer.cpp").read_text(encoding="utf-8")
    job = labs.job_create(user=owner, lab="cpp-tokenizer", queue="lab.cpu",
                          params={"files": {"qwen_tokenizer.cpp": reference}})
    LabJob.objects.filter(id=job.id).update(target=runner)  # as dispatch() would send it to this runner
    payload = {"job_id": job.id, "attempt": job.attempt, "lab": job.lab, "params": job.params}
    client_ = SiteClient(live_server.url, token, timeout_s=30, retries=1, backoff_s=0.1)
    assert execute_job(payload, client_, queue="lab.cpu", capabilities=CAPS) == "failed"
    job.refresh_from_db()
    assert job.status == LabJob.Status.FAILED and job.result["status"] == "CE"
    assert "qwen_tokenizer.h: No such file or directory" in job.error

    client.force_login(owner)
    page = client.get(reverse("lab_job", args=[job.id])).content.decode()
    assert 'data-status="failed"' in page and "完成" not in page.split('data-testid="job-live"')[1].split("</p>")[0]
    assert 'data-testid="check-failed"' in page and "编译失败" in page
    assert "qwen_tokenizer.h: No such file or directory" in page
    assert 'data-testid="missing-header-hint"' in page and "qwen_tokenizer.h" in page
    assert "逐文档完全一致率" not in page  # no empty parity figure for a check that never ran
    assert "g++ " in page  # the compile command
    client.cookies["django_language"] = "en"
    en = client.get(reverse("lab_job", args=[job.id])).content.decode()
    assert "Compilation failed" in en and "archive" in en
