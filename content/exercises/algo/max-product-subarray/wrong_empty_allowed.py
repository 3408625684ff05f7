# expect: WA
"""Wrong for max-product-subarray: starts the best product at 0, as if an empty subarray were allowed, so a
lone negative number gives 0 instead of itself."""


def max_product(nums: list[int]) -> int:
    hi = lo = 1
    best = 0
    for x in nums:
        cands = (x, hi * x, lo * x)
        hi, lo = max(cands), min(cands)
        best = max(best, hi)
    return best
