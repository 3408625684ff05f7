"""Benchmark of the dashboard and search pages against a heavy user, on PostgreSQL.

Creates a throwaway database (deploydojo_bench, dropped afterwards unless --keep), migrates it and loads
content/, then seeds a heavy user (10,000 submissions, 1,000 lab results, 5,000 reviews, notes on every
task) and an empty one. Each page is requested through Django's test client in-process (the full
middleware, view and template stack; no network), with warm-up, then timed over repeats: p50/p95.

The dashboard caches what only writes change, keyed on the user's version (core.versions): "dashboard" is the
page as a learner sees it again and again, "after a write" is the same page with the user's version bumped
before every request (the cache always misses: the cost of the first view after a status change).
Baselines measured in the same run: the empty user's dashboard (heavy/empty ratio) and a bare page, a view
rendering a template that only extends base.html, through the same client, middleware and login
(heavy/bare ratio). Query counts per page are captured for both users and should be equal.

    python bench/dashboard.py [--json] [--repeats 60] [--keep]     (BENCH_DB names the throwaway database)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_DB", "deploydojo_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SEARCHES = ["量化", "KV cache", "PagedAttention 显存", "张量并行", "int4"]


def create_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{BENCH_DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"  # production settings: persistent connections
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    settings.ROOT_URLCONF = bare_page_urls()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("load_content", verbosity=0, stdout=quiet)


def bare_page_urls() -> str:
    """config.urls plus /bench/bare/: a function view rendering a template that only extends base.html."""
    import types

    from django.http import HttpResponse
    from django.template import engines
    from django.urls import include, path

    template = engines["django"].from_string('{% extends "base.html" %}')

    def bare(request):
        return HttpResponse(template.render({}, request))

    module = types.ModuleType("bench_urls")
    module.urlpatterns = [path("bench/bare/", bare), path("", include("config.urls"))]
    sys.modules[module.__name__] = module
    return module.__name__


def seed(user, *, submissions: int, labs: int, reviews: int) -> None:
    """Bulk rows spread over the last year, the shape of a year of daily practice."""
    from django.utils import timezone
    from fsrs import Card, Rating, Scheduler

    from knowledge.models import ChecklistItem, ReviewCard, ReviewLog
    from labs.models import LabJob
    from practice.models import Exercise, Submission
    from tracker.models import Status, StatusChange, Task
    from tracker.services import task_set_notes, task_set_status

    now = timezone.now()
    tasks = list(Task.objects.live())
    for i, t in enumerate(tasks):
        task_set_status(user=user, task=t, status=Status.DONE if i % 2 else Status.DOING)
        task_set_notes(user=user, task=t, notes=f"第 {i} 条笔记：量化、KV cache 与吞吐量的测量记录。")
    StatusChange.objects.filter(user=user).update(at=now - dt.timedelta(days=3))
    exercises = list(Exercise.objects.live())
    Submission.objects.bulk_create([
        Submission(user=user, exercise=exercises[i % len(exercises)], mode="submit" if i % 4 else "examples",
                   status="done", verdict="AC" if i % 3 else "WA", source="def f():\n    return 0\n",
                   created_at=now - dt.timedelta(minutes=53 * i)) for i in range(submissions)], batch_size=2000)
    result = {"lab": "quant-inference", "precisions": [
        {"precision": p, "status": "ok", "decode_tokens_per_s": 100.0 + k, "mbu": 0.5,
         "memory": {"peak_rss_bytes": 2**30, "cuda_max_allocated_bytes": None}, "quality": {"perplexity": 9.0}}
        for k, p in enumerate(["fp32", "bf16", "int8"])]}
    LabJob.objects.bulk_create([
        LabJob(user=user, lab=("quant-inference", "vllm-batch", "cpp-tokenizer")[i % 3], queue="lab.cpu",
               status="succeeded" if i % 5 else "failed", result=result, created_at=now - dt.timedelta(hours=8 * i))
        for i in range(labs)], batch_size=500)
    items = list(ChecklistItem.objects.filter(user__isnull=True))
    scheduler = Scheduler(enable_fuzzing=False)
    cards, logs = [], []
    per_item = max(1, reviews // len(items))
    for item in items:
        card = Card(due=now - dt.timedelta(days=365))
        at = now - dt.timedelta(days=360)
        row = ReviewCard(user=user, item=item, card={}, due=now)
        for _ in range(per_item):
            card, _log = scheduler.review_card(card, Rating.Good, review_datetime=at)
            logs.append((row, at))
            at = min(card.due, now - dt.timedelta(minutes=1))
        row.card, row.due, row.state, row.stability, row.last_review, row.reps = (
            card.to_dict(), card.due, int(card.state), card.stability, card.last_review, per_item)
        cards.append(row)
    ReviewCard.objects.bulk_create(cards)
    ReviewLog.objects.bulk_create([ReviewLog(user=user, card=row, rating=3, reviewed_at=at)
                                   for row, at in logs[:reviews]], batch_size=2000)


def timed(client, url: str, params: dict | None, repeats: int, warmup: int = 5, before=lambda: None) -> dict:
    """before() runs ahead of every request, outside the timing."""
    from django.db import connection

    for _ in range(warmup):
        before()
        assert client.get(url, params).status_code == 200
    # Counted with an execute wrapper: the test client's request_started signal empties connection.queries.
    executed: list[str] = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    before()
    with connection.execute_wrapper(count):
        client.get(url, params)
    samples = []
    for _ in range(repeats):
        before()
        t0 = time.perf_counter()
        response = client.get(url, params)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 1),
            "queries": len(executed)}


def machine() -> str:
    import psutil

    return (f"{platform.processor() or platform.machine()}, {psutil.cpu_count(logical=True)} logical CPUs, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, PostgreSQL on 127.0.0.1 (shared machine)")


def run(repeats: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from core.versions import bump_user_version

    User = get_user_model()
    heavy = User.objects.create_user("heavy")
    empty = User.objects.create_user("empty")
    t0 = time.perf_counter()
    seed(heavy, submissions=10_000, labs=1_000, reviews=5_000)
    seed_s = time.perf_counter() - t0
    client = Client()
    out: dict = {}
    for name, user in (("heavy", heavy), ("empty", empty)):
        client.force_login(user)
        out[f"dashboard_{name}"] = timed(client, "/dashboard/", None, repeats)
        out[f"dashboard_{name}_after_write"] = timed(client, "/dashboard/", None, repeats,
                                                     before=lambda user=user: bump_user_version(user.id))
        out[f"bare_{name}"] = timed(client, "/bench/bare/", None, repeats)
        per_query = [timed(client, "/search/", {"q": q}, max(5, repeats // len(SEARCHES))) for q in SEARCHES]
        out[f"search_{name}"] = {"p95_ms": max(r["p95_ms"] for r in per_query),
                                 "p50_ms": statistics.median(r["p50_ms"] for r in per_query),
                                 "queries": max(r["queries"] for r in per_query)}
    heavy_p50, after_write = out["dashboard_heavy"]["p50_ms"], out["dashboard_heavy_after_write"]
    return {
        "dashboard_p95_ms": out["dashboard_heavy"]["p95_ms"],
        "dashboard_p50_ms": heavy_p50,
        "dashboard_empty_p95_ms": out["dashboard_empty"]["p95_ms"],
        "dashboard_empty_p50_ms": out["dashboard_empty"]["p50_ms"],
        "dashboard_after_write_p95_ms": after_write["p95_ms"],
        "dashboard_after_write_p50_ms": after_write["p50_ms"],
        "dashboard_empty_after_write_p95_ms": out["dashboard_empty_after_write"]["p95_ms"],
        "bare_p50_ms": out["bare_heavy"]["p50_ms"],
        "bare_p95_ms": out["bare_heavy"]["p95_ms"],
        "dashboard_heavy_over_empty_p50": round(heavy_p50 / out["dashboard_empty"]["p50_ms"], 2),
        "dashboard_heavy_over_bare_p50": round(heavy_p50 / out["bare_heavy"]["p50_ms"], 2),
        "dashboard_after_write_over_bare_p50": round(after_write["p50_ms"] / out["bare_heavy"]["p50_ms"], 2),
        "search_p95_ms": out["search_heavy"]["p95_ms"],
        "search_p50_ms": out["search_heavy"]["p50_ms"],
        "dashboard_queries_heavy": out["dashboard_heavy"]["queries"],
        "dashboard_queries_empty": out["dashboard_empty"]["queries"],
        "dashboard_after_write_queries_heavy": after_write["queries"],
        "dashboard_after_write_queries_empty": out["dashboard_empty_after_write"]["queries"],
        "bare_queries": out["bare_heavy"]["queries"],
        "search_queries_heavy": out["search_heavy"]["queries"],
        "search_queries_empty": out["search_empty"]["queries"],
        "goals": {"dashboard_p95_ms": 100, "dashboard_queries": 12, "search_p95_ms": 150},
        "seed_s": round(seed_s, 1),
        "method": (f"Django test client in-process against PostgreSQL database {BENCH_DB}; heavy user = 10,000 "
                   f"submissions, 1,000 lab results, 5,000 reviews, notes on every task; 5 warm-up requests, "
                   f"then {repeats} timed GET /dashboard/ (cached; and after a write: the user's version bumped before "
                   f"each request), {repeats} GET of the bare page and {max(5, repeats // len(SEARCHES))} per query "
                   f"for /search/ over {len(SEARCHES)} queries (zh and en); p95 = worst query's p95; baselines = "
                   f"an empty user and the bare page (a template extending base.html) in the same run"),
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards")
    args = parser.parse_args()
    create_database()
    try:
        setup_django()
        result = run(args.repeats)
        from django.db import connections

        connections.close_all()
    finally:
        if not args.keep:
            drop_database()
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"method : {result['method']}\nmachine: {result['machine']}\n")
    rows = [("dashboard p50 / p95 (ms)", f"{result['dashboard_p50_ms']} / {result['dashboard_p95_ms']}", "p95 <= 100"),
            ("after a write p50 / p95 (ms)",
             f"{result['dashboard_after_write_p50_ms']} / {result['dashboard_after_write_p95_ms']}", "p95 <= 100"),
            ("bare page p50 / p95 (ms)", f"{result['bare_p50_ms']} / {result['bare_p95_ms']}", ""),
            ("dashboard heavy/empty p50", result["dashboard_heavy_over_empty_p50"], "~1"),
            ("dashboard heavy/bare p50 (cached, after write)",
             f"{result['dashboard_heavy_over_bare_p50']}, {result['dashboard_after_write_over_bare_p50']}", ""),
            ("search p50 / p95 (ms)", f"{result['search_p50_ms']} / {result['search_p95_ms']}", "p95 <= 150"),
            ("dashboard queries heavy / empty",
             f"{result['dashboard_queries_heavy']} / {result['dashboard_queries_empty']}", "equal, <= 12"),
            ("after a write queries heavy / empty", f"{result['dashboard_after_write_queries_heavy']} / "
             f"{result['dashboard_after_write_queries_empty']}", "equal, <= 12"),
            ("search queries heavy / empty", f"{result['search_queries_heavy']} / {result['search_queries_empty']}",
             "equal")]
    for name, value, goal in rows:
        print(f"{name:<34}{value!s:<18}{goal}")


if __name__ == "__main__":
    main()
