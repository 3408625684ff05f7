"""Test generator for coin-change-min: edge cases first, greedy traps, then maximum-size cases."""

import random

MAX_COINS = 12
MAX_VALUE = 10000
MAX_AMOUNT = 10000


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[1], 0],
        [[7], 0],
        [[2], 3],
        [[1], 1],
        [[5, 10], 3],
        [[1, 3, 4], 6],
        [[186, 419, 83, 408], 6249],
        [[10000], 10000],
        [[3, 7], 11],
    ]
    if i < len(fixed):
        return fixed[i]
    if i >= 27:
        # Maximum size: 12 coins, amount 10000; larger coins keep greedy from getting lucky.
        coins = rng.sample(range(2, 600), MAX_COINS)
        return [coins, MAX_AMOUNT - rng.randrange(3)]
    k = rng.randint(2, 8)
    coins = rng.sample(range(1, rng.choice([20, 100, 1000]) + 1), k)
    return [coins, rng.randint(0, rng.choice([50, 500, 5000]))]


def small(rng: random.Random, i: int) -> list:
    k = rng.randint(1, 4)
    coins = rng.sample(range(1, 12), k)
    return [coins, rng.randint(0, 30)]
