# expect: WA
"""Plausible bug for unique-paths-obstacles: fills the first row and column with 1 without letting an obstacle
cut off the cells beyond it."""

MOD = 1_000_000_007


def count_paths(grid: list[list[int]]) -> int:
    m, n = len(grid), len(grid[0])
    ways = [[0] * n for _ in range(m)]
    for r in range(m):
        ways[r][0] = 0 if grid[r][0] else 1
    for c in range(n):
        ways[0][c] = 0 if grid[0][c] else 1
    for r in range(1, m):
        for c in range(1, n):
            if not grid[r][c]:
                ways[r][c] = (ways[r - 1][c] + ways[r][c - 1]) % MOD
    return ways[-1][-1]
