"""Directories built once in the runner's cache (a converted model, the fixture, the serving fixture): the one
lock-build-rename step every builder uses, so concurrent jobs build a directory once and no reader ever sees a
half-written one."""

from __future__ import annotations

import fcntl
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def build_once(target: Path, build: Callable[[Path], Any], *, marker: str, name: str) -> tuple[Path, bool]:
    """(target, whether this call built it). `build(tmp)` fills a temporary directory next to target, writing the
    `marker` file last; it is renamed into place under a lock, and builds left by a process killed midway are
    removed. A target whose marker exists is taken as complete."""
    if (target / marker).is_file():
        return target, False
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / marker).is_file():  # another process built it while this one waited
            return target, False
        for stale in target.parent.glob(f".{name}-building-*"):
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{name}-building-"))
        try:
            build(tmp)
            if not (tmp / marker).is_file():
                raise RuntimeError(f"building {target.name} wrote no {marker}")
            if target.exists():
                shutil.rmtree(target)
            tmp.rename(target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return target, True
