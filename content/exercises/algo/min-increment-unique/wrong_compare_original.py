# expect: WA
"""Wrong for min-increment-unique: after sorting, bumps an element only when it equals the original previous
value, so runs of three or more equal values are undercounted."""

from itertools import pairwise


def min_increment_for_unique(nums: list[int]) -> int:
    values = sorted(nums)
    return sum(1 for a, b in pairwise(values) if a == b)
