"""Reference for non-overlapping-intervals: keep the booking that ends first, O(n log n)."""


def erase_overlap_intervals(intervals: list[list[int]]) -> int:
    kept = 0
    last_end = float("-inf")
    for start, end in sorted(intervals, key=lambda iv: iv[1]):
        # The earliest-ending compatible booking leaves the most room for the rest.
        if start >= last_end:
            kept += 1
            last_end = end
    return len(intervals) - kept
