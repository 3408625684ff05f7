# expect: WA
"""Plausible bug for longest-increasing-subsequence: bisect_right lets equal values extend (non-decreasing)."""

from bisect import bisect_right


def length_of_lis(nums: list[int]) -> int:
    tails: list[int] = []
    for x in nums:
        k = bisect_right(tails, x)
        if k == len(tails):
            tails.append(x)
        else:
            tails[k] = x
    return len(tails)
