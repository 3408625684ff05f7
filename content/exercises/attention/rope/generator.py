"""Test generator for rope: d = 2, offset 0 and one row first, then large offsets and wider heads."""

import random


def _mat(rng: random.Random, n: int, d: int) -> list[list[float]]:
    return [[round(rng.gauss(0.0, 1.0), 6) for _ in range(d)] for _ in range(n)]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        ([[1.0, 0.0]], 0),                    # position 0: no rotation at all
        ([[1.0, 0.0], [1.0, 0.0]], 0),        # position 1 rotates by exactly 1 radian
        ([[1.0, 2.0, 3.0, 4.0]], 1),          # half-split vs interleaved pairs differ here
        (None, 5, 1, 8),
        (None, 0, 6, 4),
        (None, 1000, 3, 6),
        (None, 100000, 2, 16),                # long-context positions
    ]
    if i < len(fixed):
        case = fixed[i]
        if case[0] is not None:
            return [case[0], case[1]]
        _, offset, n, d = case
        return [_mat(rng, n, d), offset]
    if i >= 22:
        return [_mat(rng, 48, 32), rng.randint(0, 4096)]
    d = 2 * rng.randint(1, 16)
    return [_mat(rng, rng.randint(1, 24), d), rng.choice([0, rng.randint(0, 100), rng.randint(0, 40000)])]


def small(rng: random.Random, i: int) -> list:
    return [_mat(rng, rng.randint(1, 5), 2 * rng.randint(1, 4)), rng.randint(0, 50)]
