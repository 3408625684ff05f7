"""Test generator for ntk-rope: alpha = 1 (plain RoPE) and Qwen's alphas 3, 7, 15 first, then random."""

import random


def _mat(rng: random.Random, n: int, d: int) -> list[list[float]]:
    return [[round(rng.gauss(0.0, 1.0), 6) for _ in range(d)] for _ in range(n)]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        ([[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0]], 0, 1.0),   # alpha = 1 is plain RoPE
        ([[1.0, 2.0, 3.0, 4.0]], 1, 3.0),
        (None, 2048, 4, 8, 3.0),
        (None, 6000, 3, 16, 7.0),
        (None, 20000, 2, 32, 15.0),
        (None, 0, 5, 4, 2.5),
    ]
    if i < len(fixed):
        case = fixed[i]
        if case[0] is not None:
            return list(case)
        _, offset, n, d, alpha = case
        return [_mat(rng, n, d), offset, alpha]
    if i >= 22:
        return [_mat(rng, 48, 32), rng.randint(2048, 16384), rng.choice([3.0, 7.0, 15.0])]
    d = 2 * rng.randint(2, 16)
    return [_mat(rng, rng.randint(1, 24), d), rng.randint(0, 30000), round(rng.uniform(1.0, 16.0), 3)]


def small(rng: random.Random, i: int) -> list:
    return [_mat(rng, rng.randint(1, 5), 2 * rng.randint(2, 4)), rng.randint(0, 5000), round(rng.uniform(1.0, 8.0), 3)]
