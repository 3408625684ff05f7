# expect: TLE
"""Too slow for jump-game-min-jumps: dp[i] = 1 + min dp[j] over every earlier j that can reach i, O(n^2)."""


def jump_game_min_jumps(nums: list[int]) -> int:
    n = len(nums)
    inf = float("inf")
    dp = [inf] * n
    dp[0] = 0
    for i in range(1, n):
        best = inf
        for j in range(i):
            if j + nums[j] >= i and dp[j] + 1 < best:
                best = dp[j] + 1
        dp[i] = best
    return -1 if dp[-1] == inf else int(dp[-1])
