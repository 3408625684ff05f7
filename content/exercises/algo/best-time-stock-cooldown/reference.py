"""Reference for best-time-stock-cooldown: three-state DP (holding / just sold / free), O(n)."""


def max_profit(prices: list[int]) -> int:
    """Best total profit with one unit at a time and a one-day cooldown after each sale."""
    hold = -prices[0]  # best cash while holding a unit at the end of the day
    sold = 0           # best cash having sold today (tomorrow is a cooldown)
    free = 0           # best cash, not holding, allowed to buy tomorrow
    for p in prices[1:]:
        hold, sold, free = max(hold, free - p), hold + p, max(free, sold)
    return max(sold, free)
