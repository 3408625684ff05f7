"""Reference for partition-labels: grow each piece to the last occurrence of every letter seen, O(n)."""


def partition_labels(s: str) -> list[int]:
    last = {ch: i for i, ch in enumerate(s)}
    sizes = []
    start = end = 0
    for i, ch in enumerate(s):
        end = max(end, last[ch])
        if i == end:  # nothing in s[start..i] appears later, so cutting here is always safe
            sizes.append(i - start + 1)
            start = i + 1
    return sizes
