"""Reference for coin-change-min: unbounded-knapsack DP over amounts, O(len(coins) * amount)."""


def coin_change(coins: list[int], amount: int) -> int:
    """Fewest coins summing exactly to amount, or -1."""
    inf = amount + 1  # more coins than any real answer can need
    best = [0] + [inf] * amount
    for c in coins:
        # Ascending order lets a coin be reused within the same pass (unbounded supply).
        for a in range(c, amount + 1):
            cand = best[a - c] + 1
            best[a] = min(best[a], cand)
    return best[amount] if best[amount] <= amount else -1
