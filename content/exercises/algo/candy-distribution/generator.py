"""Test generator for candy-distribution: edge cases, random rows with runs, then n = 10^4 rows.

The last ones are single runs across the whole row, the worst case of walking each child's slopes."""

import random

MAX_N = 10**4
TOP = 2 * 10**4
COUNT = 36  # hidden tests (content/build_tests.py reads it)


def _runs(rng: random.Random, n: int, max_run: int) -> list[int]:
    # Alternating rising / falling runs with occasional plateaus: the shapes that make the two passes matter.
    out = [rng.randint(0, TOP)]
    while len(out) < n:
        step = rng.choice([-1, 1])
        for _ in range(rng.randint(1, max_run)):
            if len(out) == n:
                break
            nxt = out[-1] + step * rng.choice([0, 1, 1, 2, 7])
            out.append(min(TOP, max(0, nxt)))
    return out


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[5]],
        [[2, 2, 2, 2]],
        [list(range(20))],
        [list(range(20, 0, -1))],
        [[1, 2, 3, 3, 2, 1]],
        [[3, 2, 1, 2, 3]],
        [[0, TOP, 0, TOP, 0]],
    ]
    if i < len(fixed):
        return fixed[i]
    if i == 27:
        return [[TOP - 2 * k for k in range(MAX_N)]]  # one falling run across the whole row
    if i == 28:
        return [[k // 2 for k in range(MAX_N)][::-1][: MAX_N // 2] + [k for k in range(MAX_N // 2)]]
    if i == 29:
        return [_runs(rng, MAX_N, 3000)]
    if i >= 30:
        # Whole-row runs again, both ways: a solution that walks each child's slopes pays n²/2 steps on each, so
        # together they cost an O(n²) solution several times the limit on a machine several times faster.
        rising = [2 * k for k in range(MAX_N)]
        return [[rising, rising[::-1], list(range(MAX_N)), list(range(MAX_N, 0, -1)), rising,
                 [TOP - k for k in range(MAX_N)]][i - 30]]
    n = rng.randint(2, 40 * (i - 6))
    if i % 3 == 0:
        return [[rng.randint(0, rng.choice([2, 10, TOP])) for _ in range(n)]]
    return [_runs(rng, n, rng.choice([3, 10, 100]))]


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 9)
    return [[rng.randint(0, 4) for _ in range(n)]]
