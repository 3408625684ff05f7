"""Test generator for house-robber-circular: one/two/three servers, zeros, ends-heavy rings, then n = 10000."""

import random

MAX_N = 10000
MAX_V = 1000


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[0]],
        [[1000]],
        [[4, 9]],
        [[5, 1, 5]],
        [[0, 0, 0, 0]],
        [[9, 1, 1, 9]],
        [[6, 1, 2, 1, 7]],
        [[1000] * 7],
    ]
    if i < len(fixed):
        return fixed[i]
    n = MAX_N - rng.randrange(2) if i >= 27 else rng.randint(2, 400)
    vals = [rng.randint(0, rng.choice([3, 50, MAX_V])) for _ in range(n)]
    if rng.random() < 0.5:
        # Heavy values at both ends make the straight-line answer want both, which the ring forbids.
        vals[0] = vals[-1] = MAX_V
    return [vals]


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 12)
    return [[rng.randint(0, 20) for _ in range(n)]]
