# expect: TLE
"""Correct but O(n^2) for max-product-subarray: extends a running product from every start index."""


def max_product(nums: list[int]) -> int:
    best = nums[0]
    for i in range(len(nums)):
        p = 1
        for j in range(i, len(nums)):
            p *= nums[j]
            best = max(best, p)
    return best
