# expect: WA
"""Plausible bug for min-gpu-sessions: First-Fit Decreasing, longest job first into the first session with room."""


def min_sessions(jobs: list[int], session: int) -> int:
    loads: list[int] = []
    for t in sorted(jobs, reverse=True):
        for s, load in enumerate(loads):
            if load + t <= session:
                loads[s] += t
                break
        else:
            loads.append(t)
    return len(loads)
