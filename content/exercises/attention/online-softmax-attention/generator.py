"""Test generator for online-softmax-attention: block sizes that do and do not divide n, growing maxima."""

import random


def _mat(rng: random.Random, n: int, d: int, scale: float = 1.0) -> list[list[float]]:
    return [[round(rng.gauss(0.0, scale), 6) for _ in range(d)] for _ in range(n)]


def _case(rng: random.Random, n: int, d: int, dv: int, block: int, causal: bool, scale: float = 1.0) -> list:
    return [_mat(rng, n, d, scale), _mat(rng, n, d, scale), _mat(rng, n, dv), block, causal]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        (1, 1, 1, 1, False),
        (1, 2, 2, 4, True),
        (6, 2, 2, 1, False),     # block = 1: one key at a time
        (6, 2, 2, 6, True),      # one block holds everything
        (7, 3, 2, 3, False),     # last block is short
        (7, 3, 2, 3, True),
        (10, 4, 3, 4, False, 40.0),  # large scores: the running max must be rescaled correctly
        (10, 4, 3, 4, True, 40.0),
        (5, 2, 2, 16, False),    # block > n
    ]
    if i < len(fixed):
        return _case(rng, *fixed[i])
    if i == 9:
        # Keys whose scores rise block after block force a rescale of the accumulator at every step.
        n, d = 12, 2
        q = [[1.0, 0.0] for _ in range(n)]
        k = [[round(0.8 * t, 6), round(rng.gauss(0.0, 1.0), 6)] for t in range(n)]
        return [q, k, _mat(rng, n, d), 3, False]
    if i >= 22:
        return _case(rng, 96, 8, 8, rng.choice([7, 16, 32]), i % 2 == 0)
    n = rng.randint(2, 40)
    return _case(rng, n, rng.randint(1, 8), rng.randint(1, 6), rng.randint(1, n + 2), rng.random() < 0.5,
                 rng.choice([0.5, 1.0, 3.0, 10.0]))


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 8)
    return _case(rng, n, rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, n + 1), rng.random() < 0.5,
                 20.0 if i % 10 == 0 else 1.0)


def sized(rng: random.Random, n: int) -> list:
    return _case(rng, n, 8, 8, 32, False)
