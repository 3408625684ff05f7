"""Brute force for partition-labels: try every set of cut positions and keep the valid one with most pieces."""

from itertools import combinations, pairwise


def partition_labels(s: str) -> list[int]:
    n = len(s)
    for k in range(n - 1, -1, -1):
        for cuts in combinations(range(1, n), k):
            bounds = [0, *cuts, n]
            pieces = [set(s[a:b]) for a, b in pairwise(bounds)]
            if sum(len(p) for p in pieces) == len(set().union(*pieces)):
                return [b - a for a, b in pairwise(bounds)]
    raise AssertionError("the whole string is always a valid piece")
