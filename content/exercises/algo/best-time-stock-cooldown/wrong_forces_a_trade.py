# expect: WA
"""Wrong for best-time-stock-cooldown: returns the cash of the "just sold" state only, as if a trade were
compulsory; on falling or flat prices it reports a loss instead of 0 for doing nothing."""


def max_profit(prices: list[int]) -> int:
    hold, sold, free = -prices[0], 0, 0
    for p in prices[1:]:
        hold, sold, free = max(hold, free - p), hold + p, max(free, sold)
    return sold
