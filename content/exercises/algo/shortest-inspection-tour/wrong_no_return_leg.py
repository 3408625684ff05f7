# expect: WA
"""Plausible bug for shortest-inspection-tour: right DP, but forgets the last leg back to room 0 (a path, not a round)."""


def shortest_tour(dist: list[list[int]]) -> int:
    n = len(dist)
    inf = float("inf")
    best = [[inf] * n for _ in range(1 << n)]
    best[1][0] = 0
    for mask in range(1 << n):
        for j in range(n):
            cur = best[mask][j]
            if cur == inf:
                continue
            for k in range(n):
                if not mask >> k & 1 and cur + dist[j][k] < best[mask | 1 << k][k]:
                    best[mask | 1 << k][k] = cur + dist[j][k]
    return int(min(best[(1 << n) - 1]))
