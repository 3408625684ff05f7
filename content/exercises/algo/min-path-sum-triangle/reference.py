"""Reference for min-path-sum-triangle: bottom-up DP collapsing one row at a time, O(rows^2)."""


def minimum_total(triangle: list[list[int]]) -> int:
    """Smallest apex-to-base path sum."""
    best = list(triangle[-1])  # best[c]: cheapest path from (current row, c) to the base
    for row in reversed(triangle[:-1]):
        best = [v + min(best[c], best[c + 1]) for c, v in enumerate(row)]
    return best[0]
