# expect: WA
"""Wrong for target-sum-ways: skips zeros as if +0 and -0 were one assignment; each 0 should double the count."""

MOD = 1_000_000_007


def find_target_sum_ways(nums: list[int], target: int) -> int:
    total = sum(nums)
    if abs(target) > total or (total + target) % 2:
        return 0
    goal = (total + target) // 2
    ways = [1] + [0] * goal
    for x in nums:
        if x == 0:
            continue
        for s in range(goal, x - 1, -1):
            ways[s] = (ways[s] + ways[s - x]) % MOD
    return ways[goal]
