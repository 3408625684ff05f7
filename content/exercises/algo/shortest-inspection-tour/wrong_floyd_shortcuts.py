# expect: WA
"""Plausible bug for shortest-inspection-tour: first replaces every leg by the shortest path between the two rooms
(Floyd-Warshall), which silently lets the route pass through rooms again."""


def shortest_tour(dist: list[list[int]]) -> int:
    n = len(dist)
    d = [row[:] for row in dist]
    for k in range(n):
        for i in range(n):
            for j in range(n):
                d[i][j] = min(d[i][j], d[i][k] + d[k][j])
    inf = float("inf")
    best = [[inf] * n for _ in range(1 << n)]
    best[1][0] = 0
    for mask in range(1 << n):
        for j in range(n):
            cur = best[mask][j]
            if cur == inf:
                continue
            for k in range(n):
                if not mask >> k & 1 and cur + d[j][k] < best[mask | 1 << k][k]:
                    best[mask | 1 << k][k] = cur + d[j][k]
    full = (1 << n) - 1
    return int(min(best[full][j] + d[j][0] for j in range(n)))
