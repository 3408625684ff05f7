"""Brute force for house-robber-circular: every subset of servers, keeping those with no adjacent pair on the ring."""


def max_value_circular(values: list[int]) -> int:
    """Maximum total over all valid subsets, by enumeration."""
    n = len(values)
    best = 0
    for mask in range(1 << n):
        chosen = [i for i in range(n) if mask >> i & 1]
        if n > 1 and any((mask >> ((i + 1) % n)) & 1 for i in chosen):
            continue
        best = max(best, sum(values[i] for i in chosen))
    return best
