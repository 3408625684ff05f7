"""Versions of what a learner's pages summarise, so that a summary can be cached and still never be stale.

Every write that changes a learner's dashboard (a status change, a start date, a submission or its verdict, a
finished lab job, a review, an import) calls `bump_user_version(user_id)`; loading or editing content calls
`bump_content_version()`. A version is a random token, never a counter: a token that the cache evicted is
simply missing, and a missing token is never trusted (`current_versions` then writes a new one), so an old
summary can never match again.

The tokens live in the "default" cache, which every process shares: Redis in production (CACHE_URL), a
file cache under VAR_DIR for `make run` (the web server and the worker on one machine). A write bumps at
once, so that its own connection's next read, inside the same transaction, sees the change, and again on
commit, so that a summary another process computed between the first bump and the commit (from the old
rows) is not served either. Lower apps call this module; the evidence app, which caches, is imported by none.
"""

from __future__ import annotations

import logging
import secrets

from django.core.cache import cache
from django.db import transaction

CONTENT_KEY = "version:content"
log = logging.getLogger(__name__)


def _user_key(user_id: int) -> str:
    return f"version:user:{user_id}"


def _bump(key: str) -> None:
    # A cache that is down must not fail the write that bumps: readers then get fresh tokens too (below).
    try:
        cache.set(key, secrets.token_hex(8), timeout=None)
    except Exception:  # noqa: BLE001 - any backend error (Redis down, disk full)
        log.warning("could not bump %s; summaries are recomputed until the cache is back", key, exc_info=True)


def _bump_now_and_on_commit(key: str) -> None:
    _bump(key)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump(key))


def bump_user_version(user_id: int) -> None:
    _bump_now_and_on_commit(_user_key(user_id))


def bump_content_version() -> None:
    _bump_now_and_on_commit(CONTENT_KEY)


def current_versions(user_id: int) -> tuple[str, str]:
    """(content token, user token), creating whichever is missing: one cache round trip when both exist."""
    keys = [CONTENT_KEY, _user_key(user_id)]
    try:
        found = cache.get_many(keys)
        for key in keys:
            if key not in found:
                found[key] = secrets.token_hex(8)
                cache.add(key, found[key], timeout=None)
                found[key] = cache.get(key, found[key])  # another process may have added one first
    except Exception:  # noqa: BLE001 - the cache is down: tokens that match nothing, so nothing stale is served
        log.warning("version cache unavailable; computing summaries afresh", exc_info=True)
        return secrets.token_hex(8), secrets.token_hex(8)
    return found[CONTENT_KEY], found[keys[1]]
