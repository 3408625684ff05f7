"""Test generator for mqa-attention: one head and one token first, then many heads."""

import random


def _mat(rng: random.Random, n: int, d: int, scale: float = 1.0) -> list[list[float]]:
    return [[round(rng.gauss(0.0, scale), 6) for _ in range(d)] for _ in range(n)]


def _case(rng: random.Random, h: int, n: int, d: int, dv: int, scale: float = 1.0) -> list:
    return [[_mat(rng, n, d, scale) for _ in range(h)], _mat(rng, n, d, scale), _mat(rng, n, dv)]


def generate(rng: random.Random, i: int) -> list:
    fixed = [(1, 1, 1, 1), (1, 4, 2, 2), (3, 1, 2, 2), (4, 5, 3, 2), (2, 6, 4, 3, 30.0)]
    if i < len(fixed):
        return _case(rng, *fixed[i])
    if i >= 22:
        return _case(rng, 8, 24, 8, 8)
    return _case(rng, rng.randint(2, 8), rng.randint(1, 14), rng.randint(1, 6), rng.randint(1, 4),
                 rng.choice([0.5, 1.0, 3.0]))


def small(rng: random.Random, i: int) -> list:
    return _case(rng, rng.randint(1, 4), rng.randint(1, 5), rng.randint(1, 3), rng.randint(1, 3),
                 20.0 if i % 10 == 0 else 1.0)
