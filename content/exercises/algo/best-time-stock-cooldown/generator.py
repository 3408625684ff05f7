"""Test generator for best-time-stock-cooldown: one day, flat and falling prices, zig-zags, then n = 10000."""

import random

MAX_N = 10000
MAX_P = 1000


def _walk(rng: random.Random, n: int, step: int) -> list[int]:
    p = rng.randint(0, MAX_P)
    out = []
    for _ in range(n):
        p = min(MAX_P, max(0, p + rng.randint(-step, step)))
        out.append(p)
    return out


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[5]],
        [[0, 1000]],
        [[3, 3, 3, 3]],
        [list(range(10, 0, -1))],
        [[1, 3, 1, 3, 1, 3]],
        [list(range(20))],
        [[2, 1, 4, 3, 6, 5, 8]],
        [[1000, 0]],                # falling: doing nothing (0) beats any trade
    ]
    if i < len(fixed):
        return fixed[i]
    if i >= 27:
        if i == 27:
            # Zig-zag every day: ignoring the cooldown pays off on every swing, but only every other is usable.
            return [[rng.randint(0, 100) if d % 2 == 0 else rng.randint(900, MAX_P) for d in range(MAX_N)]]
        return [_walk(rng, MAX_N, [5, 100][i - 28])]
    n = rng.randint(2, 400)
    if rng.random() < 0.5:
        return [_walk(rng, n, rng.choice([3, 30, 300]))]
    return [[rng.randint(0, rng.choice([10, MAX_P])) for _ in range(n)]]


def small(rng: random.Random, i: int) -> list:
    return [[rng.randint(0, 10) for _ in range(rng.randint(1, 8))]]
