# expect: WA
"""Wrong for coin-change-min: returns the DP's "unreachable" sentinel (amount + 1) instead of -1."""


def coin_change(coins: list[int], amount: int) -> int:
    best = [0] + [amount + 1] * amount
    for c in coins:
        for a in range(c, amount + 1):
            best[a] = min(best[a], best[a - c] + 1)
    return best[amount]
