"""Test generator for largest-number-concat: edge cases, prefix-sharing numbers, then 2000-number lists."""

import random

MAX_N = 2000
TOP = 10**9


def _tricky(rng: random.Random, n: int) -> list[int]:
    # Numbers that are prefixes / repetitions of each other (9, 98, 989, 12, 121, 1212 ...) are where a
    # plain string or numeric sort goes wrong.
    bases = [str(rng.randint(1, 99)) for _ in range(rng.randint(1, 6))]
    out = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.6:
            b = rng.choice(bases)
            text = (b * 9)[: rng.randint(1, 9)]
            if rng.random() < 0.3:
                text += rng.choice("0123456789")
            out.append(int(text))
        elif kind < 0.8:
            out.append(rng.randint(0, TOP))
        else:
            out.append(rng.choice([0, 10, 100, 1000, 10**9, rng.randint(0, 9)]))
    return out


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[0]],
        [[0, 0, 0]],
        [[TOP]],
        [[0, TOP]],
        [[3, 30, 34, 5, 9]],
        [[121, 12]],
        [[824, 8247]],
        [[432, 43243]],
    ]
    if i < len(fixed):
        return fixed[i]
    if i >= 27:
        return [_tricky(rng, MAX_N)]
    return [_tricky(rng, rng.randint(2, 20 * (i - 7)))]


def small(rng: random.Random, i: int) -> list:
    return [_tricky(rng, rng.randint(1, 6))]
