# expect: WA
"""Wrong for task-scheduler-idle: assumes the frames always have idle slots, so it can undercount busy batches."""

from collections import Counter


def least_interval(tasks: str, n: int) -> int:
    counts = Counter(tasks).values()
    top = max(counts)
    return (top - 1) * (n + 1) + sum(1 for c in counts if c == top)
