# expect: WA
"""Wrong for non-overlapping-intervals: starts the last kept end at 0, so every booking that starts before 0
is cancelled even when nothing clashes with it."""


def erase_overlap_intervals(intervals: list[list[int]]) -> int:
    kept = 0
    last_end = 0
    for start, end in sorted(intervals, key=lambda iv: iv[1]):
        if start >= last_end:
            kept += 1
            last_end = end
    return len(intervals) - kept
