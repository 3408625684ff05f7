"""Brute force for minimum-platforms: count the trains present in every minute of the day."""


def min_platforms(arrivals: list[int], departures: list[int]) -> int:
    return max(sum(1 for a, d in zip(arrivals, departures) if a <= t <= d) for t in range(1440))
