# expect: WA
"""Wrong for min-arrows-balloons: sorts by left edge and aims at the first balloon's right edge without
shrinking it when a later, shorter balloon sits inside the group."""


def find_min_arrows(points: list[list[int]]) -> int:
    arrows = 0
    group_end = None
    for start, end in sorted(points):
        if group_end is None or start > group_end:
            arrows += 1
            group_end = end
    return arrows
