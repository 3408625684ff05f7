# expect: WA
"""Plausible bug for min-path-sum-triangle: walks down choosing the smaller of the two next numbers."""


def minimum_total(triangle: list[list[int]]) -> int:
    c, total = 0, triangle[0][0]
    for row in triangle[1:]:
        if row[c + 1] < row[c]:
            c += 1
        total += row[c]
    return total
