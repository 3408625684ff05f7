"""Brute force for two-city-scheduling: try every choice of who goes to city A."""

from itertools import combinations


def two_city_sched_cost(costs: list[list[int]]) -> int:
    n = len(costs)
    best = None
    for to_a in combinations(range(n), n // 2):
        chosen = set(to_a)
        total = sum(costs[i][0] if i in chosen else costs[i][1] for i in range(n))
        best = total if best is None else min(best, total)
    return best
