"""Faults through the real parts: a broker that is down or loses its data, a judge worker and a gpu_runner
killed with SIGKILL, hostile runner-API bodies. Nothing may be lost, stuck, or answered with a 500."""

from __future__ import annotations

import json
import signal
import time

import pytest
from django.urls import reverse
from django.utils import timezone

import labcontract
from labs import services as labs
from labs.models import LabJob, Runner
from practice import services
from practice.models import Exercise, Submission
from tests.faultkit import OwnRedis, kill_group, site_broker, start_judge_worker, start_runner, wait_for
from tests.support import worker_env

COIN_AC = """
def coin_change(coins, amount):
    INF = float("inf")
    best = [0] + [INF] * amount
    for a in range(1, amount + 1):
        for c in coins:
            if c <= a and best[a - c] + 1 < best[a]:
                best[a] = best[a - c] + 1
    return -1 if best[amount] == INF else best[amount]
"""
# Correct, but sleeps (no CPU) so a worker can be killed while it is judged.
COIN_SLOW = "import time\ntime.sleep(6)\n" + COIN_AC


@pytest.fixture(scope="module")
def own_redis():
    redis = OwnRedis().start()
    yield redis
    redis.stop()


@pytest.fixture
def broker(own_redis):
    if own_redis.proc.poll() is not None:
        own_redis.start()
    with site_broker(own_redis.url) as app:
        yield own_redis, app


def _coin() -> Exercise:
    return Exercise.objects.get(slug="coin-change-min")


# ---- the runner API refuses hostile bodies with the contract's JSON errors ------------------------------


@pytest.fixture
def runner_token(db, make_user):
    _runner, token = Runner.create_with_token(owner=make_user("owner"), name="r")
    return token


def _post(client, path: str, raw: bytes, token: str):
    return client.generic("POST", "/api/runner/" + path, raw, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {token}")


def test_runner_api_answers_json_errors_for_deep_nesting_huge_bodies_and_nul(client, runner_token):
    deep = _post(client, "heartbeat", b"[" * 200_000, runner_token)
    assert deep.status_code == 400 and "nested" in deep.json()["error"]
    huge = _post(client, "heartbeat", b'{"capabilities": "' + b"x" * 3_000_000 + b'"}', runner_token)
    assert huge.status_code == 413 and str(labcontract.MAX_BODY_BYTES) in huge.json()["error"]
    over = _post(client, "heartbeat", b'{"pad": "' + b"x" * (labcontract.MAX_BODY_BYTES + 10) + b'"}', runner_token)
    assert over.status_code == 413
    caps = {"cpu": {}, "ram_bytes": 1, "cuda_devices": [], "versions": {}, "queues": ["lab.cpu"],
            "note": "a\u0000b"}
    nul = _post(client, "heartbeat", json.dumps({"capabilities": caps}).encode(), runner_token)
    assert nul.status_code == 400 and nul.json()["field"] == "capabilities/note"


# ---- broker down, broker losing its data -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_submitting_while_the_broker_is_down_says_so_and_blocks_nothing(client, make_user, broker, plan_content):
    redis, _app = broker
    user = make_user("dora")
    client.force_login(user)
    redis.kill()
    started = time.monotonic()
    response = client.post(reverse("submit", args=["coin-change-min"]), {"source": COIN_AC}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and time.monotonic() - started < 15
    assert "判题队列暂时不可用" in response.content.decode()
    submission = Submission.objects.get(user=user)
    assert submission.status == "done" and submission.verdict == "IE"
    for _ in range(3):  # the refused submission does not count toward the 3-unfinished cap
        client.post(reverse("submit", args=["coin-change-min"]), {"source": COIN_AC}, HTTP_HX_REQUEST="true")
    assert Submission.objects.filter(user=user, status__in=["queued", "running"]).count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_source_with_a_nul_byte_is_refused_with_a_message(client, make_user, plan_content):
    user = make_user("nul")
    client.force_login(user)
    response = client.post(reverse("submit", args=["coin-change-min"]), {"source": "def f():\x00 pass"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "NUL" in response.content.decode()
    assert not Submission.objects.filter(user=user).exists()


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_submissions_whose_messages_the_broker_lost_are_sent_again_and_judged(broker, make_user, plan_content,
                                                                               settings, tmp_path):
    redis, _app = broker
    user = make_user("erin")
    subs = [services.submission_create(user=user, exercise=_coin(), source=COIN_AC) for _ in range(3)]
    redis.restart()  # SIGKILL without persistence: the three messages are gone
    env = {**worker_env(), "CELERY_BROKER_URL": redis.url, "CELERY_RESULT_BACKEND": redis.url}
    worker = start_judge_worker(env, "lost", log_path=tmp_path / "worker.log")
    try:
        time.sleep(3)
        assert Submission.objects.filter(id__in=[s.id for s in subs], status="queued").count() == 3
        settings.JUDGE_REQUEUE_AFTER_S = 1
        time.sleep(1.1)
        assert services.submissions_reap_stale()["submissions_resent"] == 3
        wait_for(lambda: Submission.objects.filter(id__in=[s.id for s in subs], status="done").count() == 3, 60,
                 "resent submissions judged")
        assert set(Submission.objects.filter(id__in=[s.id for s in subs]).values_list("verdict", flat=True)) == {"AC"}
    finally:
        kill_group(worker, signal.SIGTERM)


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_submission_whose_judge_worker_was_killed_ends_within_a_minute_graded_once(broker, make_user,
                                                                                     plan_content, tmp_path):
    redis, _app = broker
    env = {**worker_env(), "CELERY_BROKER_URL": redis.url, "CELERY_RESULT_BACKEND": redis.url,
           "REAPER_INTERVAL_S": "5"}
    worker = start_judge_worker(env, "killed", log_path=tmp_path / "worker1.log")
    user = make_user("fay")
    sub = services.submission_create(user=user, exercise=_coin(), source=COIN_SLOW)
    try:
        wait_for(lambda: Submission.objects.filter(id=sub.id, status="running").exists(), 60, "judging started")
        time.sleep(1)
        worker.send_signal(signal.SIGKILL)  # the main process only, as in the campaign
        worker.wait(timeout=10)
        killed_at = time.monotonic()
        worker = start_judge_worker(env, "restarted", beat=True, log_path=tmp_path / "worker2.log")
        done = wait_for(lambda: Submission.objects.filter(id=sub.id, status="done").first(), 60,
                        "submission finished after the kill")
        assert time.monotonic() - killed_at < 60
        assert done.verdict in ("AC", "IE") and done.finished_at is not None
    finally:
        kill_group(worker)


# ---- a gpu_runner restarted faster than the heartbeat timeout ----------------------------------------------


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_runner_restarted_mid_job_releases_the_job_at_its_first_heartbeat(live_server, transactional_db, broker,
                                                                          make_user, tmp_path):
    redis, _app = broker
    owner = make_user("gus")
    runner, token = Runner.create_with_token(owner=owner, name="restart-me")
    proc = start_runner(live_server.url, token, redis.url, "restart1", tmp_path / "runner1.log")
    try:
        wait_for(lambda: Runner.objects.get(id=runner.id).is_online, 90, "runner online")
        job = labs.job_create(user=owner, lab="vllm-batch", queue="lab.cpu",
                              params={"model": "fixture", "engines": ["hf-sequential"], "num_prompts": 24,
                                      "output_len": 32, "repeats": 2})
        wait_for(lambda: LabJob.objects.filter(id=job.id, status="running").exists(), 120, "job running")
        kill_group(proc)
        # The job had been running for a while (past one heartbeat interval) when its runner died.
        LabJob.objects.filter(id=job.id).update(started_at=timezone.now() - timezone.timedelta(minutes=2))
        restarted_at = time.monotonic()
        proc = start_runner(live_server.url, token, redis.url, "restart2", tmp_path / "runner2.log")
        requeued = wait_for(lambda: LabJob.objects.filter(id=job.id, attempt=2).first(), 60, "job released")
        assert time.monotonic() - restarted_at < 60 and requeued.error == ""
        final = wait_for(lambda: LabJob.objects.filter(id=job.id, status__in=LabJob.FINISHED).first(), 300,
                         "job finished on the restarted runner")
        assert final.status == "succeeded" and final.attempt == 2
    finally:
        kill_group(proc)


@pytest.mark.worker
@pytest.mark.slow
def test_a_lab_job_whose_message_was_lost_is_sent_again_to_an_idle_runner(live_server, transactional_db, broker,
                                                                        make_user, settings, tmp_path):
    redis, _app = broker
    owner = make_user("hal")
    runner, token = Runner.create_with_token(owner=owner, name="idle")
    job = labs.job_create(user=owner, lab="vllm-batch", queue="lab.cpu",
                          params={"model": "fixture", "engines": ["hf-sequential"], "num_prompts": 2, "output_len": 4})
    redis.restart()  # the message is gone before any runner saw it
    proc = start_runner(live_server.url, token, redis.url, "idle1", tmp_path / "runner.log")
    try:
        wait_for(lambda: Runner.objects.get(id=runner.id).is_online, 90, "runner online")
        settings.LAB_REDISPATCH_AFTER_S = 1
        LabJob.objects.filter(id=job.id).update(dispatched_at=timezone.now() - timezone.timedelta(seconds=5))
        assert labs.jobs_reap_stale()["lab_jobs_resent"] == 1
        final = wait_for(lambda: LabJob.objects.filter(id=job.id, status__in=LabJob.FINISHED).first(), 180,
                         "resent job finished")
        assert final.status == "succeeded" and final.dispatches == 2
    finally:
        kill_group(proc)
