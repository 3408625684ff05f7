"""Test generator for sliding-window-attention: w = 1, w >= n and large scores first, then random cases."""

import random


def _mat(rng: random.Random, n: int, d: int, scale: float = 1.0) -> list[list[float]]:
    return [[round(rng.gauss(0.0, scale), 6) for _ in range(d)] for _ in range(n)]


def _case(rng: random.Random, n: int, d: int, dv: int, w: int, scale: float = 1.0) -> list:
    return [_mat(rng, n, d, scale), _mat(rng, n, d, scale), _mat(rng, n, dv), w]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        (1, 1, 1, 1, 1.0),
        (5, 2, 2, 1, 1.0),     # w = 1: every query sees only itself, output = v
        (6, 3, 2, 6, 1.0),     # w = n: plain causal attention
        (6, 3, 2, 50, 1.0),    # w > n
        (9, 4, 3, 3, 40.0),    # large scores
        (10, 2, 2, 9, 1.0),    # w = n - 1: only the last query loses key 0
        (17, 4, 4, 4, 1.0),    # n not a multiple of w
    ]
    if i < len(fixed):
        return _case(rng, *fixed[i])
    if i >= 22:
        return _case(rng, 96, 8, 8, rng.choice([5, 16, 31]))
    n = rng.randint(2, 40)
    return _case(rng, n, rng.randint(1, 8), rng.randint(1, 6), rng.randint(1, n + 3), rng.choice([0.5, 1.0, 3.0]))


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 8)
    return _case(rng, n, rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, n + 2), 20.0 if i % 10 == 0 else 1.0)


def sized(rng: random.Random, n: int) -> list:
    return _case(rng, n, 8, 8, 16)
