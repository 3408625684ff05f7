"""Test generator for gqa-attention: MHA (g = h) and MQA (g = 1) edges, then real groupings."""

import random


def _mat(rng: random.Random, n: int, d: int, scale: float = 1.0) -> list[list[float]]:
    return [[round(rng.gauss(0.0, scale), 6) for _ in range(d)] for _ in range(n)]


def _case(rng: random.Random, h: int, g: int, n: int, d: int, dv: int, scale: float = 1.0) -> list:
    return [[_mat(rng, n, d, scale) for _ in range(h)], [_mat(rng, n, d, scale) for _ in range(g)],
            [_mat(rng, n, dv) for _ in range(g)]]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        (1, 1, 1, 1, 1),
        (2, 2, 3, 2, 2),      # g = h: ordinary multi-head attention
        (4, 1, 3, 2, 2),      # g = 1: multi-query attention
        (4, 2, 4, 3, 2),      # group of 2: heads 0,1 -> kv 0; heads 2,3 -> kv 1
        (6, 3, 5, 2, 3),
        (8, 2, 4, 4, 2, 30.0),
    ]
    if i < len(fixed):
        return _case(rng, *fixed[i])
    if i >= 22:
        return _case(rng, 8, 2, 24, 8, 8)
    g = rng.choice([2, 2, 3, 4])
    h = g * rng.choice([2, 3, 4])
    return _case(rng, h, g, rng.randint(1, 12), rng.randint(1, 6), rng.randint(1, 4), rng.choice([0.5, 1.0, 3.0]))


def small(rng: random.Random, i: int) -> list:
    g = rng.randint(1, 3)
    return _case(rng, g * rng.randint(1, 3), g, rng.randint(1, 5), rng.randint(1, 3), rng.randint(1, 3),
                 20.0 if i % 10 == 0 else 1.0)
