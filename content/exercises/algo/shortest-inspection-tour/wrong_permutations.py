# expect: TLE
"""Correct but O(n!) for shortest-inspection-tour: tries every visiting order; 14! orders at n = 15."""

from itertools import permutations


def shortest_tour(dist: list[list[int]]) -> int:
    n = len(dist)
    if n == 1:
        return 0
    best = None
    for order in permutations(range(1, n)):
        total, here = 0, 0
        for room in order:
            total += dist[here][room]
            here = room
        total += dist[here][0]
        if best is None or total < best:
            best = total
    return best
