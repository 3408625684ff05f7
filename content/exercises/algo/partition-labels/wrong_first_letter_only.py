# expect: WA
"""Wrong for partition-labels: ends a piece at the last occurrence of its first letter, ignoring the others."""


def partition_labels(s: str) -> list[int]:
    last = {ch: i for i, ch in enumerate(s)}
    sizes = []
    start = 0
    while start < len(s):
        end = last[s[start]]
        sizes.append(end - start + 1)
        start = end + 1
    return sizes
