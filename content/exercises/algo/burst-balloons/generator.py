"""Test generator for burst-balloons: one block, zeros, all-equal rows, then n = 150 rows."""

import random

MAX_N = 150
MAX_V = 100


def generate(rng: random.Random, i: int) -> list:
    fixed = [[[0]], [[100]], [[1, 1]], [[0, 0, 0]], [[7, 7, 7, 7, 7]], [[1, 5]], [[5, 1, 0, 8, 2]], [[100] * 9]]
    if i < len(fixed):
        return fixed[i]
    n = MAX_N if i >= 27 else rng.randint(2, 60)
    hi = rng.choice([9, MAX_V]) if i < 27 else [MAX_V, 20, MAX_V][i - 27]
    vals = [rng.randint(0, hi) for _ in range(n)]
    return [vals]


def small(rng: random.Random, i: int) -> list:
    return [[rng.randint(0, 9) for _ in range(rng.randint(1, 6))]]
