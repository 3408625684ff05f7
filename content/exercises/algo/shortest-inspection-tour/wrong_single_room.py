# expect: WA
"""Plausible bug for shortest-inspection-tour: closes the round with a min over the last room j = 1..n-1 seeded
with a large sentinel, so with a single room the sentinel comes back instead of 0."""


def shortest_tour(dist: list[list[int]]) -> int:
    n = len(dist)
    inf = 10**9
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
    answer = inf
    for j in range(1, n):
        answer = min(answer, best[(1 << n) - 1][j] + dist[j][0])
    return answer
