# expect: WA
"""Plausible bug for max-product-subarray: Kadane-style, keeps only the largest product ending here."""


def max_product(nums: list[int]) -> int:
    hi = best = nums[0]
    for x in nums[1:]:
        hi = max(x, hi * x)
        best = max(best, hi)
    return best
