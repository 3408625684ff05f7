# expect: WA
"""Wrong for jump-game-min-jumps: always takes the longest jump from the current stone (myopic greedy)."""


def jump_game_min_jumps(nums: list[int]) -> int:
    n = len(nums)
    pos = 0
    jumps = 0
    while pos < n - 1:
        if nums[pos] == 0:
            return -1
        pos += nums[pos]
        jumps += 1
    return jumps
