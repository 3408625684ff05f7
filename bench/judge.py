"""Benchmark of the practice judge: sandbox overhead, throughput, lost submissions, submit-to-verdict latency.

    python bench/judge.py [--json] [--submissions 200] [--latency-samples 30]

Method
- overhead_ratio: the same 25-test submission (coin-change-min's reference on its 25+ hidden tests) run
  through the bubblewrap sandbox and bare (`python3 harness.py`, same files and rlimits, no namespaces),
  alternating, after warm-up; ratio of the medians. Both measured in this process, in this run.
- throughput_per_s / lost: N submissions created at once and queued on Redis; a real `celery worker`
  process (concurrency = 2 x CPU cores) judges them; verdicts per second from first enqueue to last verdict
  stored; lost = submissions without a verdict after the deadline.
- latency_p50_ms / latency_p95_ms: one submission at a time POSTed to the web endpoint (Django's test
  client, the full middleware/view stack), timed until its verdict is stored by the worker.
Uses a throwaway PostgreSQL database (deploydojo_bench_judge) and Redis db 13.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import percentile, setup_site  # noqa: E402

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "deploydojo_bench_judge"
os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
os.environ.setdefault("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/13")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
os.environ.setdefault("DEPLOYDOJO_VAR_DIR", "/tmp/deploydojo-bench-var")

SLUG = "coin-change-min"


def measure_overhead(repeats: int) -> dict:
    import sandbox
    from practice.judge.runner import STARTUP_CPU_S, sandbox_inputs
    from practice.models import Exercise

    exercise = Exercise.objects.get(slug=SLUG)
    source = (ROOT / "content" / "exercises" / "algo" / SLUG / "reference.py").read_bytes()
    tests = [t["args"] for t in exercise.tests][:25]
    files, tests_stdin = sandbox_inputs(source, entry=exercise.entry, tests=tests, numpy_args=False, cpu_s=10)
    limits = sandbox.Limits(cpu_s=10 + STARTUP_CPU_S, wall_s=30, memory_mb=256, stdout_bytes=1 << 20)
    argv = ["/usr/bin/python3", "-I", "-B", "harness.py"]
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    timings = {"sandbox": [], "bare": []}
    for i in range(repeats + 3):
        for mode, fn in (("sandbox", sandbox.run), ("bare", sandbox.run_unconfined)):
            start = time.perf_counter()
            outcome = fn(argv, limits=limits, stdin=b"0" * 32 + b"\n" + tests_stdin, files=files, env=env)
            elapsed = time.perf_counter() - start
            if outcome.returncode != 0:
                raise SystemExit(f"{mode} run failed: {outcome.stderr[-500:]!r}")
            if i >= 3:  # warm-up runs are not timed
                timings[mode].append(elapsed)
    return {"sandbox_median_ms": statistics.median(timings["sandbox"]) * 1000,
            "bare_median_ms": statistics.median(timings["bare"]) * 1000,
            "overhead_ratio": statistics.median(timings["sandbox"]) / statistics.median(timings["bare"]),
            "overhead_repeats": repeats, "tests_per_submission": len(tests)}


def start_worker(concurrency: int) -> subprocess.Popen:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("judge")
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "judge", "-c",
                             str(concurrency), "-l", "WARNING", "-n", "bench@%h", "--without-gossip",
                             "--without-mingle"], cwd=ROOT, env=os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any("bench@" in name for r in app.control.ping(timeout=1.0) for name in r):
            return proc
    proc.kill()
    raise SystemExit("bench worker did not start")


def measure_throughput(n: int, user, exercise, source: str) -> dict:
    from practice.models import Submission
    from practice.tasks import grade_submission

    subs = Submission.objects.bulk_create(Submission(user=user, exercise=exercise, source=source) for _ in range(n))
    start = time.perf_counter()
    for s in subs:
        grade_submission.delay(s.id)
    ids = [s.id for s in subs]
    deadline = time.monotonic() + max(120, n * 2)
    while time.monotonic() < deadline:
        if Submission.objects.filter(id__in=ids, status="done").count() == n:
            break
        time.sleep(0.2)
    elapsed = time.perf_counter() - start
    done = Submission.objects.filter(id__in=ids, status="done")
    return {"submissions": n, "throughput_per_s": done.count() / elapsed, "lost": n - done.count(),
            "all_ac": done.filter(verdict="AC").count() == n, "throughput_wall_s": elapsed}


def measure_latency(samples: int, user, source: str) -> dict:
    from django.test import Client

    from practice.models import Submission

    client = Client()
    client.force_login(user)
    latencies = []
    for _ in range(samples):
        start = time.perf_counter()
        response = client.post(f"/practice/{SLUG}/submit/", {"source": source, "mode": "submit"},
                               HTTP_HX_REQUEST="true")
        assert response.status_code == 200, response.content[:300]
        sid = Submission.objects.filter(user=user).latest("id").id
        while not Submission.objects.filter(id=sid, status="done").exists():
            time.sleep(0.01)
        latencies.append(time.perf_counter() - start)
    return {"latency_p50_ms": percentile(latencies, 0.5) * 1000, "latency_p95_ms": percentile(latencies, 0.95) * 1000,
            "latency_samples": samples}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--latency-samples", type=int, default=30)
    parser.add_argument("--overhead-repeats", type=int, default=20)
    # Part of each verdict's wall time is namespace setup and database I/O, not CPU: two worker
    # processes per core keep the cores busy.
    parser.add_argument("--concurrency", type=int, default=2 * (os.cpu_count() or 1))
    args = parser.parse_args()

    exercise, source = setup_site(PG, DB_NAME, SLUG)
    from django.contrib.auth import get_user_model

    result: dict = {"machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                                "python": platform.python_version()}}
    result.update(measure_overhead(args.overhead_repeats))
    worker = start_worker(args.concurrency)
    result["worker_concurrency"] = args.concurrency
    try:
        bench_user = get_user_model().objects.create_user("bench", password="x")
        result.update(measure_throughput(args.submissions, bench_user, exercise, source))
        # The web endpoint allows 3 unfinished submissions per user: latency is measured one at a time.
        latency_user = get_user_model().objects.create_user("bench-latency", password="x")
        result.update(measure_latency(args.latency_samples, latency_user, source))
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    result["goals"] = {"overhead_ratio": "<= 1.25", "throughput_per_s": ">= 10", "lost": "== 0",
                       "latency_p95_ms": "<= 1000"}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(__doc__)
        for key, value in result.items():
            print(f"{key:>24}: {value:.2f}" if isinstance(value, float) else f"{key:>24}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
