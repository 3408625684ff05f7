"""Processes that cannot outlive the process that started them: Linux's parent-death signal
(prctl PR_SET_PDEATHSIG), for `make run`'s children and a worker's embedded beat. Django-free, stdlib only."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM, *, parent_pid: int | None = None) -> bool:
    """Ask the kernel to send `sig` to this process when its parent dies (a SIGKILL included). If the parent
    is already gone (it died before this call; `parent_pid` names it), exit at once. Returns False where the
    kernel cannot do it (not Linux), True otherwise."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)  # the parent died before the request above: nothing would ever signal us
    return True


def preexec_die_with_parent(sig: int = signal.SIGTERM):
    """A Popen preexec_fn: the child (after fork, before exec) dies when the process that started it does."""
    parent = os.getpid()
    return lambda: die_with_parent(sig, parent_pid=parent)
