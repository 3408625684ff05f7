"""Brute force for best-time-stock-cooldown: tries every buy/sell/rest sequence that obeys the rules (n <= 8)."""


def max_profit(prices: list[int]) -> int:
    """Best profit over all legal action sequences, by exhaustive search."""
    n = len(prices)

    def go(d: int, holding: bool, can_buy: bool) -> int:
        if d == n:
            return 0
        best = go(d + 1, holding, True if not holding else can_buy)  # rest
        if holding:
            best = max(best, prices[d] + go(d + 1, False, False))  # sell; no buying tomorrow
        elif can_buy:
            best = max(best, -prices[d] + go(d + 1, True, False))
        return best

    return go(0, False, True)
