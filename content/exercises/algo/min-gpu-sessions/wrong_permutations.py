# expect: TLE
"""Correct but O(n! · n) for min-gpu-sessions: fills sessions in every possible job order and keeps the best."""

from itertools import permutations


def min_sessions(jobs: list[int], session: int) -> int:
    best = len(jobs)
    for order in permutations(jobs):
        used, last = 1, 0
        for t in order:
            if last + t > session:
                used, last = used + 1, 0
            last += t
        best = min(best, used)
    return best
