"""Reference for word-break: DP over prefix ends with a hash set, O(len(s) * longest word)."""


def word_break(s: str, words: list[str]) -> bool:
    """Whether s splits into a sequence of vocabulary words."""
    vocab = set(words)
    longest = max(map(len, words))
    ok = [True] + [False] * len(s)  # ok[i]: the prefix s[:i] can be segmented
    for i in range(1, len(s) + 1):
        for j in range(max(0, i - longest), i):
            if ok[j] and s[j:i] in vocab:
                ok[i] = True
                break
    return ok[-1]
