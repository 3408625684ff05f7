# expect: TLE
"""Correct but exponential for burst-balloons: recursion over which block to evict next, n! orders."""


def max_coins(values: list[int]) -> int:
    def go(row: tuple[int, ...]) -> int:
        best = 0
        for p in range(len(row)):
            left = row[p - 1] if p > 0 else 1
            right = row[p + 1] if p + 1 < len(row) else 1
            best = max(best, left * row[p] * right + go(row[:p] + row[p + 1:]))
        return best

    return go(tuple(values))
