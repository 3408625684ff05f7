"""Brute force for min-increment-unique: try every assignment of distinct target values to the elements."""

from itertools import permutations


def min_increment_for_unique(nums: list[int]) -> int:
    # No element ever needs to go above max + n - 1, so those targets suffice.
    targets = range(max(nums) + len(nums))
    best = None
    for chosen in permutations(targets, len(nums)):
        if all(t >= x for t, x in zip(chosen, nums)):
            cost = sum(t - x for t, x in zip(chosen, nums))
            best = cost if best is None else min(best, cost)
    return best
