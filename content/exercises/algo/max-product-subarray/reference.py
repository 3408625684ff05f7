"""Reference for max-product-subarray: track both the largest and smallest product ending at each index, O(n)."""


def max_product(nums: list[int]) -> int:
    """Largest product of a non-empty contiguous subarray."""
    hi = lo = best = nums[0]
    for x in nums[1:]:
        # A negative x swaps the roles: the most negative product becomes the candidate for the largest.
        cands = (x, hi * x, lo * x)
        hi, lo = max(cands), min(cands)
        best = max(best, hi)
    return best
