# expect: WA
"""Wrong for non-overlapping-intervals: keeps bookings in order of start time, so one long early booking blocks many."""


def erase_overlap_intervals(intervals: list[list[int]]) -> int:
    kept = 0
    last_end = float("-inf")
    for start, end in sorted(intervals):
        if start >= last_end:
            kept += 1
            last_end = end
    return len(intervals) - kept
