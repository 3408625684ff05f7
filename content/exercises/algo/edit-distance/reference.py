"""Reference for edit-distance: Levenshtein DP keeping one row, O(len1 * len2) time, O(len2) memory."""


def min_distance(word1: str, word2: str) -> int:
    """Fewest insert/delete/replace steps turning word1 into word2."""
    prev = list(range(len(word2) + 1))  # distance from "" to each prefix of word2
    for i, a in enumerate(word1, 1):
        cur = [i] + [0] * len(word2)
        for j, b in enumerate(word2, 1):
            if a == b:
                cur[j] = prev[j - 1]
            else:
                cur[j] = 1 + min(prev[j - 1], prev[j], cur[j - 1])
        prev = cur
    return prev[-1]
