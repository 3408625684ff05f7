# expect: WA
"""Wrong for jump-game-min-jumps: layer-by-layer greedy that never notices a layer is stuck, so it never answers -1."""


def jump_game_min_jumps(nums: list[int]) -> int:
    n = len(nums)
    jumps = layer_end = farthest = 0
    for i in range(n - 1):
        farthest = max(farthest, i + nums[i])
        if i == layer_end:
            jumps += 1
            layer_end = farthest
            if layer_end >= n - 1:
                break
    return jumps
