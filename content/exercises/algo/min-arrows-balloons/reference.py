"""Reference for min-arrows-balloons: shoot at the earliest right edge still unburst, O(n log n)."""


def find_min_arrows(points: list[list[int]]) -> int:
    arrows = 0
    shot_at = None
    for start, end in sorted(points, key=lambda p: p[1]):
        # Shooting as far right as the first-ending balloon allows covers every balloon that overlaps it.
        if shot_at is None or start > shot_at:
            arrows += 1
            shot_at = end
    return arrows
