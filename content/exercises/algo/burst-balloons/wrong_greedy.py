# expect: WA
"""Plausible bug for burst-balloons: always evicts the smallest remaining block first."""


def max_coins(values: list[int]) -> int:
    row = list(values)
    total = 0
    while row:
        p = min(range(len(row)), key=row.__getitem__)
        left = row[p - 1] if p > 0 else 1
        right = row[p + 1] if p + 1 < len(row) else 1
        total += left * row[p] * right
        row.pop(p)
    return total
