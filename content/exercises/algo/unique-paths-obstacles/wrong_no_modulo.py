# expect: WA
"""Wrong for unique-paths-obstacles: right DP, but returns the exact count instead of the count modulo 1e9+7."""


def count_paths(grid: list[list[int]]) -> int:
    n = len(grid[0])
    ways = [0] * n
    ways[0] = 1
    for row in grid:
        for c in range(n):
            if row[c]:
                ways[c] = 0
            elif c:
                ways[c] += ways[c - 1]
    return ways[-1]
