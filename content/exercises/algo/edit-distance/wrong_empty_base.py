# expect: WA
"""Wrong for edit-distance: starts the table's first row and column at 0, as if turning "" into a prefix were free."""


def min_distance(word1: str, word2: str) -> int:
    prev = [0] * (len(word2) + 1)
    for a in word1:
        cur = [0] * (len(word2) + 1)
        for j, b in enumerate(word2, 1):
            cur[j] = prev[j - 1] if a == b else 1 + min(prev[j - 1], prev[j], cur[j - 1])
        prev = cur
    return prev[-1]
