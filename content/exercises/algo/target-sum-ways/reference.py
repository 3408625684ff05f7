"""Reference for target-sum-ways: reduces to counting subsets with a fixed sum, O(n * total) list DP."""

MOD = 1_000_000_007


def find_target_sum_ways(nums: list[int], target: int) -> int:
    """Number of +/- assignments summing to target, modulo 1e9+7."""
    total = sum(nums)
    # If P is the set given '+', then sum(P) - (total - sum(P)) = target, so sum(P) = (total + target) / 2.
    if abs(target) > total or (total + target) % 2:
        return 0
    goal = (total + target) // 2
    ways = [1] + [0] * goal  # ways[s]: subsets of the numbers seen so far with sum s
    for x in nums:
        if x == 0:
            ways = [2 * w % MOD for w in ways]  # in or out of P: both signs of 0
        elif x <= goal:
            ways = ways[:x] + [(a + b) % MOD for a, b in zip(ways[x:], ways, strict=False)]  # shifted by x
    return ways[goal]
