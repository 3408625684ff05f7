# expect: WA
"""Wrong for min-arrows-balloons: treats an arrow exactly on a balloon's left edge as a miss."""


def find_min_arrows(points: list[list[int]]) -> int:
    arrows = 0
    shot_at = None
    for start, end in sorted(points, key=lambda p: p[1]):
        if shot_at is None or start >= shot_at:
            arrows += 1
            shot_at = end
    return arrows
