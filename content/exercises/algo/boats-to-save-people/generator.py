"""Test generator for boats-to-save-people: edge cases, random crowds, then n = 10^4 crowds."""

import random

MAX_N = 10**4
MAX_LIMIT = 3 * 10**4


def _crowd(rng: random.Random, n: int, limit: int) -> list:
    style = rng.random()
    if style < 0.4:
        people = [rng.randint(1, limit) for _ in range(n)]
    elif style < 0.7:
        # Mostly people just under half the limit plus a few heavy ones: pairing order matters.
        people = [rng.randint(max(1, limit // 2 - 3), limit // 2 + 3) if rng.random() < 0.8
                  else rng.randint(1, limit) for _ in range(n)]
    else:
        people = [rng.choice([rng.randint(1, max(1, limit // 4)), rng.randint(max(1, 3 * limit // 4), limit)])
                  for _ in range(n)]
    return [[min(p, limit) for p in people], limit]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[1], 1],
        [[MAX_LIMIT, MAX_LIMIT], MAX_LIMIT],
        [[1, 1, 1, 1, 1], 2],
        [[2, 2, 3, 3], 5],
        [[1, 2, 3, 4, 5, 6], 7],
        [[5, 1, 4, 2], 6],
        [[1, 1, 1, 1, 1, 1], 10],   # weight allows six per boat, the two-person cap allows two
        [[3, 3, 3], 9],
    ]
    if i < len(fixed):
        return fixed[i]
    if i >= 27:
        return _crowd(rng, MAX_N, MAX_LIMIT - 13 * (i - 27))
    return _crowd(rng, rng.randint(1, 30 * (i - 5)), rng.choice([3, 10, 100, MAX_LIMIT]))


def small(rng: random.Random, i: int) -> list:
    return _crowd(rng, rng.randint(1, 8), rng.randint(1, 10))
