"""Brute force for jump-game-min-jumps: plain BFS over stones, trying every jump length."""

from collections import deque


def jump_game_min_jumps(nums: list[int]) -> int:
    n = len(nums)
    dist = [-1] * n
    dist[0] = 0
    queue = deque([0])
    while queue:
        i = queue.popleft()
        for step in range(1, nums[i] + 1):
            j = i + step
            if j < n and dist[j] < 0:
                dist[j] = dist[i] + 1
                queue.append(j)
    return dist[n - 1]
