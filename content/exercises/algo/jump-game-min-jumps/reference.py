"""Reference for jump-game-min-jumps: breadth-first layers over the reachable prefix, O(n)."""


def jump_game_min_jumps(nums: list[int]) -> int:
    n = len(nums)
    jumps = 0
    layer_end = 0  # farthest stone reachable with `jumps` jumps
    farthest = 0  # farthest stone reachable with `jumps + 1` jumps
    for i in range(n - 1):
        farthest = max(farthest, i + nums[i])
        if i == layer_end:
            if farthest <= i:
                return -1  # the whole current layer is stuck
            jumps += 1
            layer_end = farthest
            if layer_end >= n - 1:
                break
    return jumps
