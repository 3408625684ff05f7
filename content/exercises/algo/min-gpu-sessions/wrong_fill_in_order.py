# expect: WA
"""Plausible bug for min-gpu-sessions: runs the jobs in the given order and opens a new session whenever the next
one does not fit (Next-Fit); the order of jobs inside the plan is free, so this overcounts."""


def min_sessions(jobs: list[int], session: int) -> int:
    used, last = 1, 0
    for t in jobs:
        if last + t > session:
            used, last = used + 1, 0
        last += t
    return used
