"""Test generator for min-increment-unique: edge cases, random arrays with clumps, then n = 10^4 arrays."""

import random

MAX_N = 10**4
TOP = 10**4


def _clumped(rng: random.Random, n: int, top: int, clumps: int) -> list[int]:
    # Values pile up around a few centres, so increments cascade through neighbouring duplicates.
    centres = [rng.randint(0, top) for _ in range(clumps)]
    return [min(top, max(0, rng.choice(centres) + rng.randint(-2, 2))) for _ in range(n)]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[0]],
        [[TOP, TOP]],
        [list(range(20))],
        [[5] * 20],
        [[1, 1, 2, 2, 3, 3]],
        [[0, 2, 2, 2, 5]],
    ]
    if i < len(fixed):
        return fixed[i]
    if i == 27:
        return [[TOP] * MAX_N]  # every element collides: the answer is n(n-1)/2
    if i == 28:
        return [[0] * (MAX_N // 2) + [1] * (MAX_N // 2)]
    if i == 29:
        return [_clumped(rng, MAX_N, TOP, 20)]
    n = rng.randint(2, 30 * (i - 5))
    if i % 2:
        return [[rng.randint(0, rng.choice([5, n, TOP])) for _ in range(n)]]
    return [_clumped(rng, n, TOP, rng.randint(1, 8))]


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 5)
    return [[rng.randint(0, 4) for _ in range(n)]]
