# expect: WA
"""Plausible bug for house-robber-circular: solves the straight-line version and forgets that 0 and n-1 touch."""


def max_value_circular(values: list[int]) -> int:
    take, skip = 0, 0
    for v in values:
        take, skip = skip + v, max(take, skip)
    return max(take, skip)
