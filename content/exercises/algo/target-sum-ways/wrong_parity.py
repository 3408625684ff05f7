# expect: WA
"""Plausible bug for target-sum-ways: uses the subset-sum reduction but forgets that total + target must be even."""


def find_target_sum_ways(nums: list[int], target: int) -> int:
    total = sum(nums)
    if abs(target) > total:
        return 0
    goal = (total + target) // 2
    ways = [1] + [0] * goal
    for x in nums:
        for s in range(goal, x - 1, -1):
            ways[s] = (ways[s] + ways[s - x]) % 1_000_000_007
    return ways[goal]
