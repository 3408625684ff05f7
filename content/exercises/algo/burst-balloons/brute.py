"""Brute force for burst-balloons: simulates every eviction order (n <= 6)."""

from itertools import permutations


def max_coins(values: list[int]) -> int:
    """Maximum over all n! orders of the simulated total."""
    best = 0
    for order in permutations(range(len(values))):
        alive = list(range(len(values)))
        total = 0
        for i in order:
            p = alive.index(i)
            left = values[alive[p - 1]] if p > 0 else 1
            right = values[alive[p + 1]] if p + 1 < len(alive) else 1
            total += left * values[i] * right
            alive.pop(p)
        best = max(best, total)
    return best
