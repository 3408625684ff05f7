"""Test generator for partition-equal-subset: tiny and odd-sum cases, greedy traps, then 200-request batches."""

import random

MAX_N = 200
MAX_V = 100


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[1]],
        [[100]],
        [[7, 7]],
        [[1, 2]],
        [[2, 2, 2, 2, 2, 2]],
        [[3, 3, 2, 2, 2]],
        [[100, 1, 1, 1, 1]],
        [[10, 8, 7, 6, 5, 4]],
    ]
    if i < len(fixed):
        return fixed[i]
    if i == 27:
        # Every load even and exactly one of them 2 mod 4: even total, odd half, so no split; full size.
        loads = [4 * rng.randint(1, MAX_V // 4) for _ in range(MAX_N - 1)] + [rng.choice([2, 6, 10, 98])]
        rng.shuffle(loads)
        return [loads]
    if i >= 28:
        loads = [rng.randint(1, MAX_V) for _ in range(MAX_N)]
        if sum(loads) % 2:
            loads[0] += 1 if loads[0] < MAX_V else -1
        return [loads]
    n = rng.randint(3, 25)
    loads = [rng.randint(1, rng.choice([10, 30, MAX_V])) for _ in range(n)]
    if sum(loads) % 2 and rng.random() < 0.8:
        loads.append(1)
    return [loads]


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 12)
    return [[rng.randint(1, 15) for _ in range(n)]]
