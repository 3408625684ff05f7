"""Lab jobs belong to their owners' runners: a job is sent to one runner its owner may use (their own, or
one an admin shared), over that runner's own queue; the runner API lets only that runner start it."""

from __future__ import annotations

import json
import signal

import pytest
from django.utils import timezone

import labcontract
from labs import services as labs
from labs.models import LabJob, Runner
from tests.faultkit import kill_group, start_runner, wait_for

CAPS = {"cpu": {"model": "test", "cores": 2}, "ram_bytes": 1, "cuda_devices": [], "versions": {},
        "queues": ["lab.cpu"]}
TINY = {"model": "fixture", "engines": ["hf-sequential"], "num_prompts": 2, "output_len": 4}


def beat(client, token: str) -> dict:
    response = client.post(labcontract.API_PREFIX + "heartbeat", data=json.dumps({"capabilities": CAPS}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_the_heartbeat_names_the_runners_own_queues(client, make_user):
    runner, token = Runner.create_with_token(owner=make_user("ann"), name="mine")
    assert beat(client, token)["queues"] == [f"lab.cpu.r{runner.id}"]


@pytest.mark.django_db
def test_a_job_goes_only_to_its_owners_runner_and_no_other_runner_may_start_it(client, make_user, monkeypatch):
    sent = []
    monkeypatch.setattr("config.celery.app.send_task", lambda name, **kw: sent.append(kw["queue"].name))
    alice, bob = make_user("alice"), make_user("bob")
    mine, my_token = Runner.create_with_token(owner=alice, name="alice-4070")
    _theirs, their_token = Runner.create_with_token(owner=bob, name="bob-laptop")
    beat(client, my_token)
    beat(client, their_token)
    job = labs.job_create(user=alice, lab="vllm-batch", queue="lab.cpu", params=TINY)
    labs.dispatch(job)
    job.refresh_from_db()
    assert job.target == mine and sent == [f"lab.cpu.r{mine.id}"]
    start = {"attempt": 1, "system_info": {}}
    refused = client.post(f"{labcontract.API_PREFIX}jobs/{job.id}/start", data=json.dumps(start),
                          content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {their_token}")
    assert refused.status_code == 404 and "params" not in refused.json()  # as if the job did not exist
    # Bob's job never goes to Alice's private runner, even when Bob has no runner online.
    Runner.objects.filter(owner=bob).update(last_seen_at=timezone.now() - timezone.timedelta(hours=1))
    waiting = labs.job_create(user=bob, lab="vllm-batch", queue="lab.cpu", params=TINY)
    labs.dispatch(waiting)
    waiting.refresh_from_db()
    assert waiting.target is None and "没有在线" in str(labs.waiting_reason(waiting))
    Runner.objects.filter(id=mine.id).update(shared=True)  # an admin shares Alice's runner
    beat(client, my_token)  # its next heartbeat sends the waiting job there
    waiting.refresh_from_db()
    assert waiting.target == mine


@pytest.mark.django_db
def test_revoking_a_runner_while_a_job_waits_reroutes_it_or_fails_it_with_a_message(client, make_user,
                                                                                    monkeypatch):
    monkeypatch.setattr("config.celery.app.send_task", lambda name, **kw: None)
    carol = make_user("carol")
    first, first_token = Runner.create_with_token(owner=carol, name="first")
    second, second_token = Runner.create_with_token(owner=carol, name="second")
    beat(client, first_token)
    job = labs.job_create(user=carol, lab="vllm-batch", queue="lab.cpu", params=TINY)
    labs.dispatch(job)
    job.refresh_from_db()
    assert job.target == first
    beat(client, second_token)
    assert labs.runner_revoke(runner=first) == {"rerouted": 1, "failed": 0}
    job.refresh_from_db()
    assert job.target == second and job.status == "queued"
    assert labs.runner_revoke(runner=second) == {"rerouted": 0, "failed": 1}
    job.refresh_from_db()
    assert job.status == "failed" and "吊销" in job.error


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_two_users_two_real_runners_each_job_runs_on_its_owners_runner(live_server, transactional_db, make_user,
                                                                       tmp_path):
    from django.conf import settings

    from tests.support import purge_queues

    purge_queues(list(labcontract.QUEUES))
    dana, eve = make_user("dana"), make_user("eve")
    runners, procs = {}, []
    try:
        for user in (dana, eve):
            runner, token = Runner.create_with_token(owner=user, name=f"{user.username}-box")
            runners[user.username] = runner
            procs.append(start_runner(live_server.url, token, settings.CELERY_BROKER_URL, f"route-{user.username}",
                                      tmp_path / f"{user.username}.log"))
        wait_for(lambda: all(Runner.objects.get(id=r.id).is_online for r in runners.values()), 120, "runners online")
        jobs = {u.username: [labs.job_create(user=u, lab="vllm-batch", queue="lab.cpu", params=TINY)
                             for _ in range(2)] for u in (dana, eve)}
        ids = [j.id for js in jobs.values() for j in js]
        wait_for(lambda: LabJob.objects.filter(id__in=ids, status="succeeded").count() == len(ids), 300,
                 "every job finished")
        for name, js in jobs.items():
            for j in js:
                j.refresh_from_db()
                assert j.runner_id == runners[name].id, f"{name}'s job ran on {j.runner}"
                assert j.system_info["hostname"]  # the runner that ran it reported itself
    finally:
        for proc in procs:
            kill_group(proc, signal.SIGTERM)


@pytest.mark.django_db
def test_an_admin_shares_a_runner_from_the_admin_and_never_sees_its_token(client, django_user_model, make_user):
    runner, token = Runner.create_with_token(owner=make_user("owner2"), name="group-gpu")
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123-456")
    client.force_login(admin)
    page = client.get(f"/admin/labs/runner/{runner.id}/change/")
    assert page.status_code == 200 and token not in page.content.decode()
    assert runner.token_hash not in page.content.decode()
    saved = client.post(f"/admin/labs/runner/{runner.id}/change/", {"name": "group-gpu", "shared": "on"})
    assert saved.status_code == 302
    runner.refresh_from_db()
    assert runner.shared
