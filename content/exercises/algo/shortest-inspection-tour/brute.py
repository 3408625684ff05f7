"""Brute force for shortest-inspection-tour: every order of the rooms 1..n-1 (small n only)."""

from itertools import permutations


def shortest_tour(dist: list[list[int]]) -> int:
    """Minimum over all (n-1)! visiting orders of the closed route's total time."""
    n = len(dist)
    if n == 1:
        return 0
    return min(sum(dist[a][b] for a, b in zip((0, *order), (*order, 0), strict=True))
               for order in permutations(range(1, n)))
