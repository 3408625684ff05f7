"""Brute force for coin-change-min: tries every multiset of coins (how many of each) for small amounts."""


def coin_change(coins: list[int], amount: int) -> int:
    """Fewest coins summing exactly to amount, or -1, by exhaustive enumeration of counts."""
    best = -1

    def walk(i: int, left: int, used: int) -> None:
        nonlocal best
        if i == len(coins):
            if left == 0 and (best < 0 or used < best):
                best = used
            return
        for k in range(left // coins[i] + 1):
            walk(i + 1, left - k * coins[i], used + k)

    walk(0, amount, 0)
    return best
