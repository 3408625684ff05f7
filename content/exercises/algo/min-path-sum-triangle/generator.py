"""Test generator for min-path-sum-triangle: one row, all-equal, greedy traps, then 150-row triangles."""

import random

MAX_ROWS = 150
MAX_ABS = 100


def _triangle(rng: random.Random, rows: int, lo: int, hi: int) -> list[list[int]]:
    return [[rng.randint(lo, hi) for _ in range(r + 1)] for r in range(rows)]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[[7]]],
        [[[-100]]],
        [[[1], [1, 1], [1, 1, 1]]],
        [[[0], [1, 2], [100, 100, -100]]],
        [[[2], [3, 4], [6, 5, 7], [4, 1, 8, 3]]],
        [[[-1], [2, 3], [1, -1, -3]]],
    ]
    if i < len(fixed):
        return fixed[i]
    if i >= 27:
        lo = [-MAX_ABS, 0, -10][i - 27]
        return [_triangle(rng, MAX_ROWS, lo, MAX_ABS)]
    lo = rng.choice([-MAX_ABS, 0, -5])
    return [_triangle(rng, rng.randint(2, 60), lo, rng.choice([5, MAX_ABS]))]


def small(rng: random.Random, i: int) -> list:
    return [_triangle(rng, rng.randint(1, 9), -20, 20)]
