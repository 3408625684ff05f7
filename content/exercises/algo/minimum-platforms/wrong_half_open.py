# expect: WA
"""Wrong for minimum-platforms: frees a platform at the departure minute, so a train arriving then reuses it."""


def min_platforms(arrivals: list[int], departures: list[int]) -> int:
    arr = sorted(arrivals)
    dep = sorted(departures)
    in_use = best = 0
    j = 0
    for t in arr:
        while j < len(dep) and dep[j] <= t:
            in_use -= 1
            j += 1
        in_use += 1
        best = max(best, in_use)
    return best
