"""Test generator for max-product-subarray: single negatives, zeros, sign flips, then n = 20000 arrays whose
zero-free runs are capped so every subarray product stays within 10**18."""

import random

MAX_N = 20000
CAP = 10**18


def _array(rng: random.Random, n: int, p_unit: float, p_zero: float) -> list[int]:
    out: list[int] = []
    run = 1  # |product| of the current zero-free run
    for _ in range(n):
        r = rng.random()
        if r < p_zero:
            x = 0
        elif r < p_zero + p_unit:
            x = rng.choice([-1, 1])
        else:
            x = rng.choice([-1, 1]) * rng.randint(2, 10)
        if x and run * abs(x) > CAP:
            x = 0  # the guarantee in the statement: end the run before it can overflow 10**18
        run = run * abs(x) if x else 1
        out.append(x)
    return out


def generate(rng: random.Random, i: int) -> list:
    fixed = [[[-7]], [[0]], [[10]], [[-1, -1]], [[-2, -3, -4]], [[0, -5, 0]], [[-1, 0, -2, -3, 0, 1]], [[3, -1, 4]]]
    if i < len(fixed):
        return fixed[i]
    if i >= 27:
        return [_array(rng, MAX_N, [0.9, 0.97, 0.8][i - 27], [0.001, 0.0, 0.01][i - 27])]
    n = rng.randint(2, 300)
    return [_array(rng, n, rng.choice([0.3, 0.7]), rng.choice([0.0, 0.05, 0.2]))]


def small(rng: random.Random, i: int) -> list:
    return [[rng.randint(-4, 4) for _ in range(rng.randint(1, 10))]]
