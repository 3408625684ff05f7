"""Reference for unique-paths-obstacles: row-by-row path counting, O(m * n) time, O(n) memory."""

MOD = 1_000_000_007


def count_paths(grid: list[list[int]]) -> int:
    """Right/down routes from top-left to bottom-right avoiding 1-cells, modulo 1e9+7."""
    n = len(grid[0])
    ways = [0] * n
    ways[0] = 1  # a virtual entry into (0, 0); zeroed below if the start is blocked
    for row in grid:
        for c in range(n):
            if row[c]:
                ways[c] = 0
            elif c:
                # ways[c] still holds the count from the row above; add the cell to the left.
                ways[c] = (ways[c] + ways[c - 1]) % MOD
    return ways[-1]
