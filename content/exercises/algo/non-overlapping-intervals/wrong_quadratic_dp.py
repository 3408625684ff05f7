# expect: TLE
"""Too slow for non-overlapping-intervals: longest chain DP over all earlier bookings, O(n^2)."""


def erase_overlap_intervals(intervals: list[list[int]]) -> int:
    ivs = sorted(intervals, key=lambda iv: iv[1])
    n = len(ivs)
    best = [1] * n  # longest clash-free chain ending with booking i
    for i in range(n):
        for j in range(i):
            if ivs[j][1] <= ivs[i][0] and best[j] + 1 > best[i]:
                best[i] = best[j] + 1
    return n - max(best)
