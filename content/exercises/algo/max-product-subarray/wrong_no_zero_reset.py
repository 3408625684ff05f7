# expect: WA
"""Wrong for max-product-subarray: takes the best running product from the left and from the right (which
handles negatives) but never restarts after a 0, so every product past a zero stays 0."""


def max_product(nums: list[int]) -> int:
    best = nums[0]
    for seq in (nums, nums[::-1]):
        run = 1
        for x in seq:
            run *= x
            best = max(best, run)
    return best
