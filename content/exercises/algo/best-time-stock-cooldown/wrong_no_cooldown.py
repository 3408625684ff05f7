# expect: WA
"""Plausible bug for best-time-stock-cooldown: ignores the cooldown and collects every price rise."""

import itertools


def max_profit(prices: list[int]) -> int:
    return sum(max(0, b - a) for a, b in itertools.pairwise(prices))
