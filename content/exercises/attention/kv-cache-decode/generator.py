"""Test generator for kv-cache-decode: one cached token, one new token, then longer prompts and generations."""

import random


def _mat(rng: random.Random, n: int, d: int, scale: float = 1.0) -> list[list[float]]:
    return [[round(rng.gauss(0.0, scale), 6) for _ in range(d)] for _ in range(n)]


def _case(rng: random.Random, p: int, m: int, d: int, dv: int, scale: float = 1.0) -> list:
    return [_mat(rng, p, d, scale), _mat(rng, p, dv), _mat(rng, m, d, scale), _mat(rng, m, d, scale),
            _mat(rng, m, dv)]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        (1, 1, 1, 1),
        (1, 4, 2, 2),    # short prompt, several new tokens
        (6, 1, 3, 2),    # long prompt, one new token
        (3, 3, 2, 3),
        (5, 5, 4, 2, 40.0),
    ]
    if i < len(fixed):
        return _case(rng, *fixed[i])
    if i >= 22:
        return _case(rng, 48, 48, 8, 8)
    return _case(rng, rng.randint(1, 24), rng.randint(1, 24), rng.randint(1, 8), rng.randint(1, 6),
                 rng.choice([0.5, 1.0, 3.0]))


def small(rng: random.Random, i: int) -> list:
    return _case(rng, rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 3), rng.randint(1, 3),
                 20.0 if i % 10 == 0 else 1.0)


def sized(rng: random.Random, n: int) -> list:
    # Half prompt, half generation: total context n.
    return _case(rng, n // 2, n - n // 2, 8, 8)
