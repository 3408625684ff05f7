# expect: TLE
"""Correct but O(n^2) DP for longest-increasing-subsequence: too slow at n = 10000 in Python."""


def length_of_lis(nums: list[int]) -> int:
    best = [1] * len(nums)
    for i in range(len(nums)):
        for j in range(i):
            if nums[j] < nums[i] and best[j] + 1 > best[i]:
                best[i] = best[j] + 1
    return max(best)
