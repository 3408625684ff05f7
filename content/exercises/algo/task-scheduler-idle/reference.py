"""Reference for task-scheduler-idle: frame count from the most frequent kinds, O(len(tasks))."""

from collections import Counter


def least_interval(tasks: str, n: int) -> int:
    counts = Counter(tasks).values()
    top = max(counts)
    tied = sum(1 for c in counts if c == top)
    # The most frequent kinds force (top - 1) full frames of n + 1 slots plus a last partial frame;
    # if the other tasks overflow the frames, no idling is needed at all.
    return max(len(tasks), (top - 1) * (n + 1) + tied)
