"""Brute force for target-sum-ways: evaluates all 2^n sign patterns (small n)."""

from itertools import product


def find_target_sum_ways(nums: list[int], target: int) -> int:
    """Count sign patterns whose signed sum equals target."""
    count = sum(1 for signs in product([1, -1], repeat=len(nums))
                if sum(s * x for s, x in zip(signs, nums, strict=True)) == target)
    return count % 1_000_000_007
