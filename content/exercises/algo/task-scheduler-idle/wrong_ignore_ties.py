# expect: WA
"""Wrong for task-scheduler-idle: counts only one kind in the last frame even when several share the top count."""

from collections import Counter


def least_interval(tasks: str, n: int) -> int:
    top = max(Counter(tasks).values())
    return max(len(tasks), (top - 1) * (n + 1) + 1)
