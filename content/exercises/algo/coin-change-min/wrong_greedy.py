# expect: WA
"""Plausible bug for coin-change-min: largest-coin-first greedy, which is not optimal for every coin system."""


def coin_change(coins: list[int], amount: int) -> int:
    used = 0
    for c in sorted(coins, reverse=True):
        used += amount // c
        amount %= c
    return used if amount == 0 else -1
