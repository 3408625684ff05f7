# expect: WA
"""Plausible bug for shortest-inspection-tour: nearest-neighbour greedy, always the closest room not yet visited."""


def shortest_tour(dist: list[list[int]]) -> int:
    n = len(dist)
    seen, here, total = {0}, 0, 0
    for _ in range(n - 1):
        step = min((j for j in range(n) if j not in seen), key=lambda j: dist[here][j])
        total += dist[here][step]
        seen.add(step)
        here = step
    return total + dist[here][0]
