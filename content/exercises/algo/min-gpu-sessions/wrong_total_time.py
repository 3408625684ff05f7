# expect: WA
"""Plausible bug for min-gpu-sessions: divides the total time by the session length, as if jobs could be split."""


def min_sessions(jobs: list[int], session: int) -> int:
    return -(-sum(jobs) // session)
