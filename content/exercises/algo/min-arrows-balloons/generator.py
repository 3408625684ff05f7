"""Test generator for min-arrows-balloons: edge cases, random walls, then n = 5000 walls."""

import random

MAX_N = 5000
LIM = 10**4


def _balloons(rng: random.Random, n: int, lo: int, hi: int, max_w: int) -> list[list[int]]:
    out = []
    for _ in range(n):
        a = rng.randint(lo, hi)
        out.append([a, min(hi, a + rng.randint(0, max_w))])
    return out


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[[0, 0]]],
        [[[-LIM, LIM], [-LIM, -LIM], [LIM, LIM]]],
        [[[1, 2], [2, 3], [3, 4], [4, 5], [5, 6]]],
        [[[1, 10], [2, 3], [4, 5], [6, 7], [8, 9]]],
        [[[5, 5]] * 20],
        [[[-k, k] for k in range(25)]],
    ]
    if i < len(fixed):
        return fixed[i]
    if i >= 27:
        return [_balloons(rng, MAX_N, -LIM, LIM, 8 * (i - 26) ** 2)]
    n = rng.randint(2, 20 * (i - 5))
    width = rng.choice([30, 500, LIM])
    return [_balloons(rng, n, -width, width, rng.choice([0, 4, 40, width]))]


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 7)
    return [_balloons(rng, n, -3, 9, rng.choice([0, 2, 5]))]
