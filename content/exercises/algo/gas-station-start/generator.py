"""Test generator for gas-station-start: edge cases, random loops, then n = 10^4 loops with a late start."""

import random

MAX_N = 10**4


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
    n = rng.randint(1, 40 * (i - 6))
    return _balanced(rng, n, rng.choice([3, 100, 10**4]), rng.choice([-3, -1, 0, 0, 1, 5]))


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 7)
    return _balanced(rng, n, 4, rng.choice([-1, 0, 0, 1, 2]))
