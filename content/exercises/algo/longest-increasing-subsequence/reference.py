"""Reference for longest-increasing-subsequence: patience sorting with binary search, O(n log n)."""

from bisect import bisect_left


def length_of_lis(nums: list[int]) -> int:
    """Length of the longest strictly increasing subsequence."""
    # tails[k] = smallest possible last value of an increasing subsequence of length k + 1.
    tails: list[int] = []
    for x in nums:
        # bisect_left (not _right) so an equal value replaces rather than extends: strictness.
        k = bisect_left(tails, x)
        if k == len(tails):
            tails.append(x)
        else:
            tails[k] = x
    return len(tails)
