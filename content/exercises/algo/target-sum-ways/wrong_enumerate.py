# expect: TLE
"""Correct but exponential for target-sum-ways: recursion over both signs of every number, 2^n leaves."""


def find_target_sum_ways(nums: list[int], target: int) -> int:
    def go(i: int, acc: int) -> int:
        if i == len(nums):
            return 1 if acc == target else 0
        return go(i + 1, acc + nums[i]) + go(i + 1, acc - nums[i])

    return go(0, 0) % 1_000_000_007
