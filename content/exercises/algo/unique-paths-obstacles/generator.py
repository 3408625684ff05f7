"""Test generator for unique-paths-obstacles: 1-cell, blocked ends, single rows/columns, then 100 x 100 grids."""

import random

MAX_SIDE = 100


def _grid(rng: random.Random, m: int, n: int, density: float) -> list[list[int]]:
    g = [[1 if rng.random() < density else 0 for _ in range(n)] for _ in range(m)]
    g[0][0] = g[m - 1][n - 1] = 0
    return g


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[[0]]],
        [[[1]]],
        [[[0, 0], [0, 1]]],
        [[[0, 0, 0, 0, 0]]],
        [[[0], [0], [1], [0]]],
        [[[0, 1, 0], [0, 1, 0], [0, 0, 0]]],
        [[[0] * 17 for _ in range(17)]],
        [[[0] * 40 for _ in range(40)]],  # C(78, 39) routes: the modulus matters
    ]
    if i < len(fixed):
        return fixed[i]
    if i >= 27:
        # Sparse obstacles on a full-size grid: counts far beyond 64 bits before the modulus.
        return [_grid(rng, MAX_SIDE, MAX_SIDE, [0.0, 0.03, 0.08][i - 27])]
    m, n = rng.randint(1, 40), rng.randint(1, 40)
    return [_grid(rng, m, n, rng.choice([0.03, 0.1, 0.2]))]


def small(rng: random.Random, i: int) -> list:
    m, n = rng.randint(1, 6), rng.randint(1, 6)
    g = [[1 if rng.random() < 0.25 else 0 for _ in range(n)] for _ in range(m)]
    return [g]
