"""Brute force for unique-paths-obstacles: walks every right/down route explicitly (small grids)."""


def count_paths(grid: list[list[int]]) -> int:
    """Number of obstacle-free routes, by depth-first enumeration."""
    m, n = len(grid), len(grid[0])

    def walk(r: int, c: int) -> int:
        if r >= m or c >= n or grid[r][c]:
            return 0
        if (r, c) == (m - 1, n - 1):
            return 1
        return walk(r + 1, c) + walk(r, c + 1)

    return walk(0, 0) % 1_000_000_007
