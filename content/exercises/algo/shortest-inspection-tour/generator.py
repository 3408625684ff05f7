"""Test generator for shortest-inspection-tour: n = 1 and 2, one-way costs, broken triangle inequality, greedy
traps, then full 15-room instances (asymmetric, metric and near-uniform)."""

import math
import random

MAX_N = 15
MAX_D = 1000


def _matrix(rng: random.Random, n: int, lo: int, hi: int, symmetric: bool = False) -> list[list[int]]:
    d = [[0 if i == j else rng.randint(lo, hi) for j in range(n)] for i in range(n)]
    if symmetric:
        for i in range(n):
            for j in range(i):
                d[i][j] = d[j][i]
    return d


def _plane(rng: random.Random, n: int, size: int) -> list[list[int]]:
    """Rooms as points; legs are rounded Euclidean distances (symmetric, roughly metric)."""
    pts = [(rng.randint(0, size), rng.randint(0, size)) for _ in range(n)]
    return [[min(MAX_D, round(math.dist(p, q))) for q in pts] for p in pts]


def _hub(n: int) -> list[list[int]]:
    """Room 0 is 1 minute from everyone, rooms 1..n-1 are 100 apart: the triangle inequality fails badly."""
    return [[0 if i == j else 1 if 0 in (i, j) else 100 for j in range(n)] for i in range(n)]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[[0]]],                                               # one room: nobody leaves
        [[[0, 5], [7, 0]]],                                    # two rooms: there and back, one-way costs
        [[[0, 1, 10], [10, 0, 1], [1, 10, 0]]],                # one direction is 3, the other 30
        [_hub(4)],                                             # shortcuts through room 0 are not allowed
        [[[0, 6, 5, 7, 6], [9, 0, 1, 4, 3], [7, 2, 0, 2, 1], [1, 3, 4, 0, 4], [1, 8, 8, 6, 0]]],  # greedy: 24, best: 13
        [[[0, 1, 1], [MAX_D, 0, 1], [MAX_D, MAX_D, 0]]],       # the way back is expensive from everywhere
        [[[0] * 6 for _ in range(6)]],                         # everything free
        [[[0 if r == c else MAX_D for c in range(MAX_N)] for r in range(MAX_N)]],  # largest answer: 15 000
        [_hub(MAX_N)],
    ]
    if i < len(fixed):
        return fixed[i]
    if i >= 27:
        if i == 27:
            return [_matrix(rng, MAX_N, 0, MAX_D)]
        if i == 28:
            return [_plane(rng, MAX_N, 700)]
        return [_matrix(rng, MAX_N, 990, MAX_D)]  # near-uniform: many tours within a few minutes of the best
    n = rng.randint(2, 13)
    kind = i % 3
    if kind == 0:
        return [_matrix(rng, n, 0, rng.choice([5, 50, MAX_D]))]
    if kind == 1:
        return [_matrix(rng, n, 1, rng.choice([9, MAX_D]), symmetric=True)]
    return [_plane(rng, n, rng.choice([20, 700]))]


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 8)
    if i % 4 == 3:
        return [_plane(rng, n, 30)]
    return [_matrix(rng, n, 0, rng.choice([3, 20, MAX_D]), symmetric=i % 4 == 1)]
