"""Test generator for longest-increasing-subsequence: edge cases, duplicates-heavy lists, then n = 10000."""

import random

MAX_N = 10000
LIMIT = 10000


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[5]],
        [[-10000]],
        [[3, 3, 3, 3]],
        [list(range(20, 0, -1))],
        [list(range(-10, 10))],
        [[1, 2, 2, 3, 3, 3, 4]],
        [[2, 1]],
    ]
    if i < len(fixed):
        return fixed[i]
    if i >= 27:
        if i == 27:
            # Long noisy upward trend: answer in the thousands, tails list keeps growing.
            return [[max(-LIMIT, min(LIMIT, -LIMIT + 2 * k + rng.randint(-40, 40))) for k in range(MAX_N)]]
        return [[rng.randint(-LIMIT, LIMIT) for _ in range(MAX_N)]]
    n = rng.randint(2, 1000)
    span = rng.choice([3, 50, LIMIT])  # small spans force many duplicates
    return [[rng.randint(-span, span) for _ in range(n)]]


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 12)
    span = rng.choice([2, 5, 100])
    return [[rng.randint(-span, span) for _ in range(n)]]
