"""Brute force for longest-increasing-subsequence: checks every subset of indices (small n only)."""

from itertools import combinations


def length_of_lis(nums: list[int]) -> int:
    """Largest k such that some k indices give a strictly increasing run of values."""
    for k in range(len(nums), 0, -1):
        for idx in combinations(range(len(nums)), k):
            if all(nums[idx[j]] < nums[idx[j + 1]] for j in range(k - 1)):
                return k
    return 0
