"""Brute force for task-scheduler-idle: breadth-first search over (tasks left, cooldowns) states."""

from collections import Counter


def least_interval(tasks: str, n: int) -> int:
    kinds = sorted(Counter(tasks).items())
    start = tuple((c, 0) for _, c in kinds)  # per kind: tasks left, units until it may run again
    frontier = {start}
    seen = {start}
    t = 0
    while frontier:
        if any(all(c == 0 for c, _ in s) for s in frontier):
            return t
        nxt = set()
        for state in frontier:
            cooled = tuple((c, max(0, w - 1)) for c, w in state)
            moves = [cooled]  # idle
            for k, (c, w) in enumerate(state):
                if c > 0 and w == 0:
                    moves.append(cooled[:k] + ((c - 1, n),) + cooled[k + 1:])
            for m in moves:
                if m not in seen:
                    seen.add(m)
                    nxt.add(m)
        frontier = nxt
        t += 1
    raise AssertionError("unreachable")
