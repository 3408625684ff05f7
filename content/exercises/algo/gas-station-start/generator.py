"""Test generator for gas-station-start: edge cases, random loops, then n = 10^4 loops with a late start.

Tests 27-32 are n = 10^4 loops where every start but the last runs dry only just before the same station: simulating
a lap from each start then costs about n²/2 steps, the most any loop of this size costs it (a start past another's
dry station runs dry no later), so the margin comes from the number of such tests. Together they cost it several
times the CPU limit on a machine several times faster than ours (tests/test_exercise_content.py runs it with three
times the limit and still expects TLE).
"""

import random

MAX_N = 10**4
COUNT = 33  # hidden tests (content/build_tests.py reads it)


def _balanced(rng: random.Random, n: int, hi: int, slack: int) -> list[list[int]]:
    # Random loop whose total surplus is `slack` (negative: impossible), so both answers occur.
    gas = [rng.randint(0, hi) for _ in range(n)]
    cost = [rng.randint(0, hi) for _ in range(n)]
    diff = sum(gas) - sum(cost) - slack
    for _ in range(10 * n):
        if diff == 0:
            break
        j = rng.randrange(n)
        if diff > 0:
            step = min(diff, hi - cost[j])
            cost[j] += step
        else:
            step = min(-diff, hi - gas[j])
            gas[j] += step
        diff += -step if diff > 0 else step
    return [gas, cost]


def _late_start(n: int, tail_surplus: bool) -> list[list[int]]:
    # Every early start drives almost the whole loop before failing; the valid start (if any) is the last.
    gas = [1] * n
    cost = [1] * n
    cost[n - 2] = 2
    if tail_surplus:
        gas[n - 1] = 2
    return [gas, cost]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[0], [0]],
        [[5], [6]],
        [[0, 0, 0], [0, 0, 0]],
        [[0, 3], [2, 1]],
        [[1, 2, 3, 4, 5], [3, 4, 5, 1, 2]],
        [[2, 0, 1, 1], [1, 1, 1, 0]],  # the tank runs exactly empty on the way, yet station 0 is valid
        _late_start(40, True),
        _late_start(40, False),
    ]
    if i < len(fixed):
        return fixed[i]
    if i == 27:
        return _late_start(MAX_N, True)
    if i == 28:
        return _late_start(MAX_N, False)
    if i == 29:
        gas, cost = _late_start(MAX_N, True)
        # Shift the loop so the answer is not the last index.
        k = MAX_N // 3
        return [gas[k:] + gas[:k], cost[k:] + cost[:k]]
    if i >= 30:
        # Random fuel, each station's gas matching its cost exactly, except one station short by one and, after it,
        # the last station one to spare: the only start (test 31 has no spare, so no start works); test 32 rotated.
        gas = [rng.randint(0, MAX_N) for _ in range(MAX_N)]
        cost = list(gas)
        cost[MAX_N - 2] = min(MAX_N, cost[MAX_N - 2] + 1)
        gas[MAX_N - 2] = cost[MAX_N - 2] - 1
        if i != 31:
            gas[MAX_N - 1], cost[MAX_N - 1] = 1, 0
        k = [0, 0, MAX_N // 2][i - 30]
        return [gas[k:] + gas[:k], cost[k:] + cost[:k]]
    n = rng.randint(1, 40 * (i - 6))
    return _balanced(rng, n, rng.choice([3, 100, 10**4]), rng.choice([-3, -1, 0, 0, 1, 5]))


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 7)
    return _balanced(rng, n, 4, rng.choice([-1, 0, 0, 1, 2]))
