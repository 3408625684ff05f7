# expect: WA
"""Wrong for target-sum-ways: rejects target > sum but not target < -sum; then (sum + target) / 2 is negative
and the DP table of length goal + 1 <= 0 answers from the wrong end (Python's ways[-1])."""

MOD = 1_000_000_007


def find_target_sum_ways(nums: list[int], target: int) -> int:
    total = sum(nums)
    if target > total or (total + target) % 2:
        return 0
    goal = (total + target) // 2
    ways = [1] + [0] * goal
    for x in nums:
        for s in range(goal, x - 1, -1):
            ways[s] = (ways[s] + ways[s - x]) % MOD
    return ways[goal]
