"""Test generator for min-increment-unique: edge cases, random arrays with clumps, then n = 10^4 arrays.

Tests 27, 28 and 30-35 are n = 10^4 values crowded into a handful of neighbouring values, so the answer is close to
its maximum n(n-1)/2: a solution that walks each value up one step at a time pays one step per move, about
5·10^7 per test, and together they cost it several times the CPU limit on a machine several times faster than ours
(tests/test_exercise_content.py runs it with three times the limit and still expects TLE).
"""

import random

MAX_N = 10**4
TOP = 10**4
COUNT = 36  # hidden tests (content/build_tests.py reads it)


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
    if i >= 30:
        # Every value within a few of the same one, in random order: each walk up passes almost every value
        # handed out before it.
        low = [0, TOP - 3, TOP // 2, 0, TOP - 1, 7][i - 30]
        return [[rng.randint(low, low + [3, 3, 1, 1, 1, 9][i - 30]) for _ in range(MAX_N)]]
    n = rng.randint(2, 30 * (i - 5))
    if i % 2:
        return [[rng.randint(0, rng.choice([5, n, TOP])) for _ in range(n)]]
    return [_clumped(rng, n, TOP, rng.randint(1, 8))]


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 5)
    return [[rng.randint(0, 4) for _ in range(n)]]
