"""What the benchmarks share: percentiles as they are reported, and a throwaway PostgreSQL database."""

from __future__ import annotations


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 1]."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def fresh_database(pg: str, name: str) -> None:
    """Drop and create database `name` on the server at `pg` (a postgres:// URL without a database)."""
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def drop_database(pg: str, name: str) -> None:
    """Drop database `name` (one the caller created), closing this process's connections to it first."""
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_site(pg: str, name: str, slug: str):
    """A fresh database with the schema and the content loaded; returns the exercise `slug` and its reference
    solution's source (Django is set up on the way, from the environment the caller prepared)."""
    from pathlib import Path

    fresh_database(pg, name)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)
    from practice.models import Exercise

    exercise = Exercise.objects.get(slug=slug)
    root = Path(__file__).resolve().parent.parent
    source = (root / "content" / "exercises" / "algo" / slug / "reference.py").read_text(encoding="utf-8")
    return exercise, source
