"""Test generator for task-scheduler-idle: edge cases, random batches, then 10^4-task batches."""

import random
import string

MAX_LEN = 10**4


def _batch(rng: random.Random, length: int, kinds: int, skew: float) -> str:
    letters = rng.sample(string.ascii_uppercase, kinds)
    weights = [skew**k for k in range(kinds)]  # skew < 1 makes one kind dominate
    return "".join(rng.choices(letters, weights, k=length))


def _tied_batch(rng: random.Random, top: int, tied: int, extra: int) -> str:
    # `tied` kinds share the top count; up to `extra` more tasks of other kinds, each kind kept below it.
    letters = rng.sample(string.ascii_uppercase, 26)
    tasks = [c for c in letters[:tied] for _ in range(top)]
    others = {c: 0 for c in letters[tied:]}
    for c in rng.choices(letters[tied:], k=extra):
        if others[c] < top - 1:
            others[c] += 1
            tasks.append(c)
    rng.shuffle(tasks)
    return "".join(tasks)


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        ["A", 0],
        ["A", 100],
        ["AAAA", 100],
        ["ABCDEFGHIJKLMNOPQRSTUVWXYZ", 100],
        ["AABBCC", 1],
        ["AAABBBCCCDD", 2],
        ["ABABABABCDEFGH", 3],
        ["AAABBBCCC", 5],
    ]
    if i < len(fixed):
        return fixed[i]
    if i == 27:
        return ["Q" * MAX_LEN, 100]
    if i == 28:
        return [_batch(rng, MAX_LEN, 26, 1.0), 100]
    if i == 29:
        return [_batch(rng, MAX_LEN, 26, 0.8), 7]
    if i % 3 == 0:
        return [_tied_batch(rng, rng.randint(2, 40), rng.randint(2, 6), rng.randint(0, 20)), rng.randint(5, 100)]
    length = rng.randint(1, 30 * (i - 6))
    kinds = rng.randint(1, 26)
    return [_batch(rng, length, kinds, rng.choice([0.3, 0.7, 1.0])), rng.choice([0, 1, 2, 5, 30, 100])]


def small(rng: random.Random, i: int) -> list:
    return [_batch(rng, rng.randint(1, 7), rng.randint(1, 3), rng.choice([0.5, 1.0])), rng.randint(0, 3)]
