# expect: TLE
"""Correct but O(n^2) for best-time-stock-cooldown: for each sell day tries every earlier buy day."""


def max_profit(prices: list[int]) -> int:
    n = len(prices)
    best = [0] * (n + 2)  # best[d + 2]: best profit using days 0..d (shifted so d - 2 never goes negative)
    for d in range(n):
        top = best[d + 1]
        for b in range(d):
            # buy on day b needs everything before to end by day b - 2 (sale + cooldown)
            cand = best[b] + prices[d] - prices[b]
            top = max(top, cand)
        best[d + 2] = top
    return best[n + 1]
