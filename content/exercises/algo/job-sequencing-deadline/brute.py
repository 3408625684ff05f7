"""Brute force for job-sequencing-deadline: try every subset; it fits if, by deadline, job k is due at >= k."""

from itertools import combinations


def max_job_profit(deadlines: list[int], profits: list[int]) -> int:
    n = len(deadlines)
    best = 0
    for size in range(1, n + 1):
        for subset in combinations(range(n), size):
            due = sorted(deadlines[i] for i in subset)
            if all(d >= slot for slot, d in enumerate(due, start=1)):
                best = max(best, sum(profits[i] for i in subset))
    return best
