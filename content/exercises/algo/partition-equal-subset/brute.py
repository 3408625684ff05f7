"""Brute force for partition-equal-subset: tries every assignment of requests to the first GPU."""


def can_partition(loads: list[int]) -> bool:
    """Whether some subset sums to exactly half of the total, by enumeration."""
    total = sum(loads)
    n = len(loads)
    for mask in range(1 << n):
        if 2 * sum(loads[i] for i in range(n) if mask >> i & 1) == total:
            return True
    return False
