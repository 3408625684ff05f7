# expect: WA
"""Wrong for coin-change-min: reads "0 coins" as "no combination", so amount 0 gives -1 instead of 0."""


def coin_change(coins: list[int], amount: int) -> int:
    best = [0] + [amount + 1] * amount
    for c in coins:
        for a in range(c, amount + 1):
            best[a] = min(best[a], best[a - c] + 1)
    return best[amount] if 0 < best[amount] <= amount else -1
