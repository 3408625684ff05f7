# expect: TLE
"""Too slow for minimum-platforms: for every arrival counts the trains present at that minute, O(n^2)."""


def min_platforms(arrivals: list[int], departures: list[int]) -> int:
    best = 0
    for t in arrivals:
        present = 0
        for a, d in zip(arrivals, departures):
            if a <= t <= d:
                present += 1
        best = max(best, present)
    return best
