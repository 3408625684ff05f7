"""Brute force for min-path-sum-triangle: sums every one of the 2^(rows-1) paths (small triangles)."""

from itertools import product


def minimum_total(triangle: list[list[int]]) -> int:
    """Minimum over all explicit down/down-right move sequences."""
    best = None
    for moves in product([0, 1], repeat=len(triangle) - 1):
        c, total = 0, triangle[0][0]
        for r, step in enumerate(moves, 1):
            c += step
            total += triangle[r][c]
        best = total if best is None else min(best, total)
    return best
