"""Test generator for queue-reconstruction-height: shuffled real queues, ending with n = 2000."""

import random

MAX_N = 2000


def _shuffled_queue(rng: random.Random, heights: list[int]) -> list[list[int]]:
    people = []
    for i, h in enumerate(heights):
        people.append([h, sum(1 for other in heights[:i] if other >= h)])
    rng.shuffle(people)
    return people


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [0],
        [10**6, 0],
        [5, 5, 5, 5],
        list(range(10)),
        list(range(10, 0, -1)),
        [4, 7, 4, 7, 4, 7],
    ]
    if i < len(fixed):
        return [_shuffled_queue(rng, fixed[i])]
    if i >= 27:
        top = [10**6, 50, 3][i - 27]  # distinct-ish heights, many ties, almost all ties
        return [_shuffled_queue(rng, [rng.randint(0, top) for _ in range(MAX_N)])]
    n = rng.randint(2, 20 * (i - 5))
    top = rng.choice([2, 10, 1000, 10**6])
    return [_shuffled_queue(rng, [rng.randint(0, top) for _ in range(n)])]


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 7)
    return [_shuffled_queue(rng, [rng.randint(1, 4) for _ in range(n)])]
