"""Fault benchmark: a judge worker SIGKILLed mid-judgement, a broker that loses its data, submitting while the
broker is down, a gpu_runner restarted mid-job, and the abuse campaign's cases (bench/abuse_cases.py) — against
a stack this script starts on loopback, and leaves nothing of behind.

    python bench/faults.py [--json] [--rounds 3] [--skip-runner] [--skip-abuse]

Stack: a PostgreSQL database of its own (deploydojo_bench_faults_<pid>_<random>, created here and dropped at
the end; no other database is touched), a Redis server of its own on a free port (no persistence: a kill loses
every message), real `celery worker --beat` processes (judge + reaper), the site under `manage.py runserver`
for the runner API and under gunicorn for the abuse cases, and a real `python -m gpu_runner`. Every process
is started in a process group of its own and recorded; at the end none may be left.

Figures
- lost: accepted submissions or lab jobs that never reached a verdict/final state by the deadline, or were
  judged more than once; stuck: those still queued/running at the deadline. Goal 0 and 0.
- seconds_to_verdict_after_kill (p95): from SIGKILL of the judging worker's main process to the verdict of
  each submission it was judging (the worker is restarted at once, as compose's restart policy does).
  Goal < 60 s.
- refused_with_message: share of submissions POSTed while the broker is down that got a page with a clear
  message (not a 500). Goal 1.0.
- runner_seconds_to_release: from restarting a SIGKILLed runner to its dead job being re-queued.
- worker_kill_orphans: processes of a SIGKILLed worker (its embedded beat, its pool) still alive 10 s after
  the kill. Goal 0 (the campaign found its beat alive, queuing reaper tasks).
- processes_left_behind: processes of any group this script started still alive after every scenario
  stopped its own. Goal 0.
- abuse_held / abuse_cases: the campaign's findings tried again the way they were found, each refused with a
  message or survived with nothing stored (abuse_failed names those that were not). Goal all.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import drop_database, percentile, setup_site  # noqa: E402
from gpu_runner.process.servers import group_pids  # noqa: E402
from tests.faultkit import OwnRedis, free_port, kill_group, start_judge_worker, start_runner, wait_for  # noqa: E402

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = f"deploydojo_bench_faults_{os.getpid()}_{secrets.token_hex(3)}"  # ours alone: created, then dropped
REDIS = OwnRedis().start()
os.environ.update(DATABASE_URL=f"{PG}/{DB_NAME}", CELERY_BROKER_URL=REDIS.url, CELERY_RESULT_BACKEND=REDIS.url,
                  DJANGO_SETTINGS_MODULE="config.settings", ALLOWED_HOSTS="testserver,localhost,127.0.0.1",
                  DEPLOYDOJO_VAR_DIR="/tmp/deploydojo-bench-faults", REAPER_INTERVAL_S="5",
                  JUDGE_REQUEUE_AFTER_S="10")
SLUG = "coin-change-min"
SLOW = "import time\ntime.sleep(4)\n"


STARTED: list[int] = []  # the process group of everything started here (each child leads its own)


def started(proc: subprocess.Popen) -> subprocess.Popen:
    STARTED.append(proc.pid)
    return proc


def worker(name: str, beat: bool = True) -> subprocess.Popen:
    return started(start_judge_worker(os.environ.copy(), name, beat=beat))


def group_members(pgids: list[int]) -> list[int]:
    """Live (not zombie) processes in these process groups, read from /proc."""
    return [pid for pgid in pgids for pid in group_pids(pgid)]


def kill_groups(pgids: list[int]) -> None:
    for pgid in pgids:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _settle(ids: list[int], deadline_s: float) -> tuple[int, int]:
    from practice.models import Submission

    try:
        wait_for(lambda: Submission.objects.filter(id__in=ids, status="done").count() == len(ids), deadline_s,
                 "verdicts")
    except AssertionError:
        pass
    rows = Submission.objects.filter(id__in=ids)
    stuck = rows.exclude(status="done").count()
    # Lost: no verdict, or judged more than twice (claim attempts) — a double-graded row would show it.
    lost = stuck + rows.filter(status="done", attempt__gt=2).count()
    return lost, stuck


def worker_kill(rounds: int, user, exercise, source: str) -> dict:
    from practice import services
    from practice.models import Submission

    seconds, lost, stuck, orphans = [], 0, 0, 0
    proc = worker("kill-0")
    try:
        for r in range(rounds):
            subs = [services.submission_create(user=user, exercise=exercise, source=SLOW + source) for _ in range(2)]
            ids = [s.id for s in subs]
            wait_for(lambda ids=ids: Submission.objects.filter(id__in=ids, status="running").exists(), 60, "judging")
            time.sleep(1)
            inflight = list(Submission.objects.filter(id__in=ids, status="running").values_list("id", flat=True))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            killed, dead = time.monotonic(), proc.pid
            proc = worker(f"kill-{r + 1}")
            pending = set(inflight)
            deadline = killed + 120
            while pending and time.monotonic() < deadline:
                for sid in list(pending):
                    if Submission.objects.filter(id=sid, status="done").exists():
                        seconds.append(time.monotonic() - killed)
                        pending.discard(sid)
                time.sleep(0.2)
            round_lost, round_stuck = _settle(ids, 60)
            lost, stuck = lost + round_lost, stuck + round_stuck
            time.sleep(max(0.0, killed + 10 - time.monotonic()))
            orphans += len(group_members([dead]))  # its beat and pool should have died with it
            kill_groups([dead])
    finally:
        kill_group(proc)
    return {"seconds_to_verdict_after_kill_p95": percentile(seconds, 0.95) if seconds else None,
            "seconds_to_verdict_after_kill_max": max(seconds) if seconds else None,
            "killed_in_flight": len(seconds), "worker_kill_lost": lost, "worker_kill_stuck": stuck,
            "worker_kill_orphans": orphans}


def broker_loss(n: int, users, exercise, source: str) -> dict:
    from practice import services

    ids = [services.submission_create(user=users[i % len(users)], exercise=exercise, source=source).id
           for i in range(n)]
    REDIS.restart()  # SIGKILL, no persistence: every queued message is gone
    proc = worker("loss")
    try:
        lost, stuck = _settle(ids, 180)
    finally:
        kill_group(proc)
    return {"broker_loss_submissions": n, "broker_loss_lost": lost, "broker_loss_stuck": stuck}


def broker_down(n: int, user) -> dict:
    from django.test import Client

    client = Client()
    client.force_login(user)
    REDIS.kill()
    clear = 0
    try:
        for _ in range(n):
            response = client.post(f"/practice/{SLUG}/submit/", {"source": "def coin_change(c, a):\n return 0\n"},
                                   HTTP_HX_REQUEST="true")
            text = response.content.decode()
            clear += response.status_code == 200 and ("判题队列暂时不可用" in text or "refused" in text)
    finally:
        REDIS.start()
    from practice.models import Submission

    blocked = Submission.objects.filter(user=user, status__in=["queued", "running"]).count()
    return {"refused_with_message": clear / n, "broker_down_posts": n, "broker_down_left_unfinished": blocked}


def runner_restart(owner) -> dict:
    from labs import services as labs
    from labs.models import LabJob, Runner

    port = free_port()
    logs = Path(os.environ["DEPLOYDOJO_VAR_DIR"])
    logs.mkdir(parents=True, exist_ok=True)
    site = started(subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                                    cwd=ROOT, env=os.environ.copy(), stdout=open(logs / "site.log", "w"),
                                    stderr=subprocess.STDOUT, start_new_session=True))
    runner, token = Runner.create_with_token(owner=owner, name="bench-runner")
    url = f"http://127.0.0.1:{port}"
    proc = started(start_runner(url, token, REDIS.url, "bench-r1", logs / "runner1.log"))
    out = {"runner_lost": 0, "runner_stuck": 0}
    try:
        wait_for(lambda: Runner.objects.get(id=runner.id).is_online, 120, "runner online", interval=1)
        job = labs.job_create(user=owner, lab="vllm-batch", queue="lab.cpu",
                              params={"model": "fixture", "engines": ["hf-sequential"], "num_prompts": 24,
                                      "output_len": 32, "repeats": 2})
        wait_for(lambda: LabJob.objects.filter(id=job.id, status="running").exists(), 180, "job running")
        kill_group(proc)
        restarted = time.monotonic()
        proc = started(start_runner(url, token, REDIS.url, "bench-r2", logs / "runner2.log"))
        wait_for(lambda: LabJob.objects.filter(id=job.id, attempt=2).exists(), 120, "job released")
        out["runner_seconds_to_release"] = time.monotonic() - restarted
        try:
            wait_for(lambda: LabJob.objects.filter(id=job.id, status__in=LabJob.FINISHED).exists(), 600, "job done",
                     interval=1)
        except AssertionError:
            out["runner_stuck"] = 1
        final = LabJob.objects.get(id=job.id)
        out["runner_job_final"] = final.status
        out["runner_lost"] = int(final.status != "succeeded")
    finally:
        kill_group(proc)
        kill_group(site, signal.SIGTERM)
    return out


def abuse(make) -> dict:
    """The campaign's cases (bench/abuse_cases.py) against this stack, with a gunicorn of its own."""
    from bench.abuse_cases import Site, run_cases

    port = free_port()
    logs = Path(os.environ["DEPLOYDOJO_VAR_DIR"])
    logs.mkdir(parents=True, exist_ok=True)
    server = started(subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--bind",
                                       f"127.0.0.1:{port}", "--workers", "1"], cwd=ROOT, env=os.environ.copy(),
                                      stdout=open(logs / "gunicorn.log", "w"), stderr=subprocess.STDOUT,
                                      start_new_session=True))
    try:
        wait_for(lambda: _answers(port), 60, "gunicorn")
        return run_cases(Site(gunicorn=f"http://127.0.0.1:{port}", make_user=lambda name: make(name, password="x")))
    finally:
        kill_group(server, signal.SIGTERM)


def _answers(port: int) -> bool:
    import urllib.request

    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).status == 200
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rounds", type=int, default=3, help="worker kills")
    parser.add_argument("--loss-submissions", type=int, default=12)
    parser.add_argument("--skip-runner", action="store_true")
    parser.add_argument("--skip-abuse", action="store_true")
    args = parser.parse_args()
    try:
        result = run(args)
    finally:
        REDIS.stop()
        drop_database(PG, DB_NAME)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(__doc__)
        for key, value in result.items():
            print(f"{key:>36}: {value:.2f}" if isinstance(value, float) else f"{key:>36}: {value}")
    return 0


def run(args) -> dict:
    exercise, source = setup_site(PG, DB_NAME, SLUG)
    from django.contrib.auth import get_user_model

    make = get_user_model().objects.create_user
    result: dict = {"machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
                    "settings": {"JUDGE_STALE_AFTER_S": 20, "REAPER_INTERVAL_S": 5, "JUDGE_REQUEUE_AFTER_S": 10}}
    scenarios = [("worker_kill", lambda: worker_kill(args.rounds, make("kill", password="x"), exercise, source)),
                 ("broker_loss", lambda: broker_loss(args.loss_submissions,
                                                     [make(f"loss{i}", password="x") for i in range(4)], exercise,
                                                     source)),
                 ("broker_down", lambda: broker_down(10, make("down", password="x")))]
    if not args.skip_runner:
        scenarios.append(("runner_restart", lambda: runner_restart(make("runner-owner", password="x"))))
    if not args.skip_abuse:
        scenarios.append(("abuse", lambda: abuse(make)))
    for name, scenario in scenarios:
        try:
            result.update(scenario())
        except Exception as exc:  # one failed scenario is reported, the others still run
            result[f"{name}_error"] = f"{type(exc).__name__}: {exc}"
    time.sleep(2)  # what was just stopped finishes exiting
    left = group_members(STARTED)
    result["processes_left_behind"] = len(left)
    kill_groups(STARTED)
    result["lost"] = sum(v for k, v in result.items() if k.endswith("_lost") and isinstance(v, int))
    result["stuck"] = sum(v for k, v in result.items() if k.endswith("_stuck") and isinstance(v, int))
    result["seconds_to_verdict_after_kill"] = result.get("seconds_to_verdict_after_kill_p95")
    result["goals"] = {"lost": "== 0", "stuck": "== 0", "seconds_to_verdict_after_kill": "< 60 (p95)",
                       "refused_with_message": "== 1.0", "worker_kill_orphans": "== 0",
                       "processes_left_behind": "== 0", "abuse_held": "== abuse_cases"}
    return result


if __name__ == "__main__":
    sys.exit(main())
