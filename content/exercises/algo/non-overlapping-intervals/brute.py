"""Brute force for non-overlapping-intervals: try every subset, keep the largest clash-free one."""

from itertools import combinations


def erase_overlap_intervals(intervals: list[list[int]]) -> int:
    n = len(intervals)
    for size in range(n, 0, -1):
        for subset in combinations(intervals, size):
            if all(a[1] <= b[0] or b[1] <= a[0] for a, b in combinations(subset, 2)):
                return n - size
    return n
