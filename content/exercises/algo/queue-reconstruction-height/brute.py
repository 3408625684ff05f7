"""Brute force for queue-reconstruction-height: try every ordering and return the one that matches all k."""

from itertools import permutations


def reconstruct_queue(people: list[list[int]]) -> list[list[int]]:
    for order in permutations(people):
        if all(sum(1 for other in order[:i] if other[0] >= h) == k for i, (h, k) in enumerate(order)):
            return [list(p) for p in order]
    raise AssertionError("input is promised to come from a real queue")
