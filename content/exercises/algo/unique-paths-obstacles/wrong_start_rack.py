# expect: WA
"""Wrong for unique-paths-obstacles: seeds the start with one route without checking it for a rack, so a
blocked start still counts routes."""

MOD = 1_000_000_007


def count_paths(grid: list[list[int]]) -> int:
    n = len(grid[0])
    ways = [0] * n
    ways[0] = 1
    for r, row in enumerate(grid):
        for c in range(n):
            if r == 0 and c == 0:
                continue  # "the robot is already here"
            if row[c]:
                ways[c] = 0
            elif c:
                ways[c] = (ways[c] + ways[c - 1]) % MOD
    return ways[-1]
