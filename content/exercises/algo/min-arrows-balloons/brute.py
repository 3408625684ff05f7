"""Brute force for min-arrows-balloons: try ever larger sets of arrow positions drawn from the balloon ends."""

from itertools import combinations


def find_min_arrows(points: list[list[int]]) -> int:
    # Any arrow can slide right to the nearest balloon end without losing a balloon, so ends suffice.
    spots = sorted({end for _, end in points})
    for k in range(1, len(spots) + 1):
        for shots in combinations(spots, k):
            if all(any(s <= x <= e for x in shots) for s, e in points):
                return k
    return len(points)
