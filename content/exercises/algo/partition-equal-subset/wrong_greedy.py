# expect: WA
"""Plausible bug for partition-equal-subset: largest-first greedy onto the lighter card."""


def can_partition(loads: list[int]) -> bool:
    a = b = 0
    for x in sorted(loads, reverse=True):
        if a <= b:
            a += x
        else:
            b += x
    return a == b
