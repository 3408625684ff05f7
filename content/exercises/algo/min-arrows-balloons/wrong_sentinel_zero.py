# expect: WA
"""Wrong for min-arrows-balloons: starts the "last arrow" position at 0 instead of "no arrow yet", so balloons
entirely left of 0 look already burst."""


def find_min_arrows(points: list[list[int]]) -> int:
    arrows = 0
    shot_at = 0
    for start, end in sorted(points, key=lambda p: p[1]):
        if start > shot_at:
            arrows += 1
            shot_at = end
    return arrows
