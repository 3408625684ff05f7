"""Reference for minimum-platforms: sweep sorted arrivals against sorted departures, O(n log n)."""


def min_platforms(arrivals: list[int], departures: list[int]) -> int:
    arr = sorted(arrivals)
    dep = sorted(departures)
    in_use = best = 0
    j = 0
    for t in arr:
        # A train that leaves in the same minute still holds its platform, hence strict <.
        while dep[j] < t:
            in_use -= 1
            j += 1
        in_use += 1
        best = max(best, in_use)
    return best
