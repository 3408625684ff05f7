# expect: TLE
"""Too slow for two-city-scheduling: DP over (people seen, how many went to A), O(n^2)."""


def two_city_sched_cost(costs: list[list[int]]) -> int:
    m = len(costs) // 2
    inf = float("inf")
    dp = [0] + [inf] * m  # dp[j]: cheapest cost so far with j people in A
    for a, b in costs:
        for j in range(m, -1, -1):
            dp[j] = min(dp[j] + b, dp[j - 1] + a if j else inf)
    return int(dp[m])
