# expect: WA
"""Wrong for jump-game-min-jumps: the loop also visits the goal stone and counts a jump from it, so n = 1 gives 1."""


def jump_game_min_jumps(nums: list[int]) -> int:
    n = len(nums)
    jumps = layer_end = farthest = 0
    for i in range(n):
        farthest = max(farthest, i + nums[i])
        if i == layer_end:
            if farthest <= i and i < n - 1:
                return -1
            jumps += 1
            layer_end = farthest
            if layer_end >= n - 1:
                break
    return jumps
