"""Test generator for causal-attention: tiny and numerically hard cases first, then larger random ones."""

import random


def _mat(rng: random.Random, n: int, d: int, scale: float = 1.0) -> list[list[float]]:
    # Six decimals keep tests.json small; expected values are computed from the rounded inputs.
    return [[round(rng.gauss(0.0, scale), 6) for _ in range(d)] for _ in range(n)]


def generate(rng: random.Random, i: int) -> list:
    if i == 0:
        return [[[0.5]], [[-1.0]], [[2.0]]]
    if i == 1:
        return [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [3.0, 4.0]]]
    if i == 2:
        # All-equal keys: every visible key gets the same weight, so row i is the mean of v[0..i].
        n = 5
        return [_mat(rng, n, 3), [[0.3, -0.2, 0.1]] * n, _mat(rng, n, 2)]
    if i == 3:
        # Large scores: without max-subtraction exp() overflows to inf/nan.
        return [_mat(rng, 6, 4, 40.0), _mat(rng, 6, 4, 40.0), _mat(rng, 6, 3)]
    if i == 4:
        return [_mat(rng, 7, 1), _mat(rng, 7, 1), _mat(rng, 7, 5)]
    if i >= 22:
        return [_mat(rng, 64, 16), _mat(rng, 64, 16), _mat(rng, 64, 8)]
    n, d, dv = rng.randint(2, 32), rng.randint(1, 12), rng.randint(1, 8)
    scale = rng.choice([0.5, 1.0, 3.0])
    return [_mat(rng, n, d, scale), _mat(rng, n, d, scale), _mat(rng, n, dv)]


def small(rng: random.Random, i: int) -> list:
    n, d, dv = rng.randint(1, 6), rng.randint(1, 4), rng.randint(1, 4)
    scale = 20.0 if i % 10 == 0 else 1.0
    return [_mat(rng, n, d, scale), _mat(rng, n, d, scale), _mat(rng, n, dv)]


def sized(rng: random.Random, n: int) -> list:
    return [_mat(rng, n, 16), _mat(rng, n, 16), _mat(rng, n, 16)]
