"""Test generator for two-city-scheduling: edge cases, random price lists, then 5000-person lists.

Tests 27-36 are 5000-person lists. A DP over (people seen, people sent to A) costs n·n/2 steps whatever the prices,
so the margin comes from the number of them: together they cost it several times the CPU limit on a machine several
times faster than ours (tests/test_exercise_content.py runs it with three times the limit and still expects TLE).
"""

import random

MAX_N = 5000
TOP = 1000
COUNT = 37  # hidden tests (content/build_tests.py reads it)


def _costs(rng: random.Random, n: int, lean: float) -> list[list[int]]:
    # `lean` > 0.5 makes A the cheap city for most people, so "everyone to their cheaper city" overfills A.
    out = []
    for _ in range(n):
        a, b = rng.randint(1, TOP), rng.randint(1, TOP)
        if (a > b) == (rng.random() < lean):
            a, b = b, a
        out.append([a, b])
    return out


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[[1, 1], [1, 1]]],
        [[[TOP, 1], [TOP, 1]]],
        [[[1, 2], [1, 3], [1, 4], [1, 5]]],
        [[[10, 20], [30, 200], [400, 50], [30, 20]]],
        [[[259, 770], [448, 54], [926, 667], [184, 139], [840, 118], [577, 469]]],
    ]
    if i < len(fixed):
        return fixed[i]
    if i >= 27:
        return [_costs(rng, MAX_N, [0.5, 0.9, 0.99, 0.1, 0.7, 1.0, 0.0, 0.5, 0.3, 0.95][i - 27])]
    n = 2 * rng.randint(1, 15 * (i - 4))
    return [_costs(rng, n, rng.choice([0.1, 0.5, 0.8, 1.0]))]


def small(rng: random.Random, i: int) -> list:
    n = 2 * rng.randint(1, 5)
    return [[[rng.randint(1, 9), rng.randint(1, 9)] for _ in range(n)]]
