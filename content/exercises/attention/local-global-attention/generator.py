"""Test generator for local-global-attention: no globals, all globals, overlap cases, then random."""

import random


def _mat(rng: random.Random, n: int, d: int, scale: float = 1.0) -> list[list[float]]:
    return [[round(rng.gauss(0.0, scale), 6) for _ in range(d)] for _ in range(n)]


def _case(rng: random.Random, n: int, d: int, dv: int, block: int, g: int, scale: float = 1.0) -> list:
    return [_mat(rng, n, d, scale), _mat(rng, n, d, scale), _mat(rng, n, dv), block, g]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        (1, 1, 1, 1, 0),
        (1, 2, 2, 4, 1),      # a single global token
        (8, 3, 2, 4, 0),      # pure block-local
        (8, 3, 2, 1, 0),      # block = 1: each token sees only itself
        (6, 2, 2, 3, 6),      # every token global: dense attention
        (10, 3, 3, 4, 2),     # globals inside block 0 must not be counted twice
        (12, 3, 2, 3, 5),     # globals span more than one block
        (11, 4, 3, 4, 1, 40.0),
        (9, 2, 2, 20, 2),     # block larger than n
    ]
    if i < len(fixed):
        return _case(rng, *fixed[i])
    if i >= 22:
        return _case(rng, 96, 8, 8, rng.choice([8, 16]), rng.choice([1, 3]))
    n = rng.randint(2, 40)
    return _case(rng, n, rng.randint(1, 8), rng.randint(1, 6), rng.randint(1, 12), rng.randint(0, 4),
                 rng.choice([0.5, 1.0, 3.0]))


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 10)
    return _case(rng, n, rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 5), rng.randint(0, n),
                 20.0 if i % 10 == 0 else 1.0)


def sized(rng: random.Random, n: int) -> list:
    return _case(rng, n, 8, 8, 16, 2)
