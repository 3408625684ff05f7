"""Brute force for max-product-subarray: multiplies out every subarray (small inputs)."""

from math import prod


def max_product(nums: list[int]) -> int:
    """Maximum of prod(nums[i:j]) over all non-empty ranges."""
    n = len(nums)
    return max(prod(nums[i:j]) for i in range(n) for j in range(i + 1, n + 1))
