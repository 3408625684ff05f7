"""Reference for shortest-inspection-tour: Held-Karp bitmask DP over (visited set, current room), O(2^n · n^2)."""


def shortest_tour(dist: list[list[int]]) -> int:
    """Shortest cycle from room 0 through every other room exactly once and back."""
    n = len(dist)
    if n == 1:
        return 0
    m = n - 1  # rooms 1..n-1 are bits 0..m-1; room 0 is always the start
    inf = float("inf")
    # best[mask][j]: shortest path that leaves room 0, visits exactly the rooms in mask and ends in room j+1.
    best: list[list[float]] = [[]] * (1 << m)
    for j in range(m):
        row = [inf] * m
        row[j] = dist[0][j + 1]
        best[1 << j] = row
    into = [[dist[i + 1][j + 1] for i in range(m)] for j in range(m)]  # into[j][i]: leg from room i+1 to j+1
    for mask in range(1, 1 << m):
        if mask & (mask - 1) == 0:
            continue  # single rooms are seeded above
        bits = [j for j in range(m) if mask >> j & 1]
        row = [inf] * m
        for j in bits:
            # The last leg into j comes from some other room i of the set, reached through mask without j.
            before, legs = best[mask ^ (1 << j)], into[j]
            row[j] = min([before[i] + legs[i] for i in bits if i != j])
        best[mask] = row
    last = best[(1 << m) - 1]
    return int(min(last[j] + dist[j + 1][0] for j in range(m)))
