# expect: WA
"""Plausible bug for word-break: greedy longest-match segmentation, never reconsiders a cut."""


def word_break(s: str, words: list[str]) -> bool:
    vocab = set(words)
    i = 0
    while i < len(s):
        for j in range(len(s), i, -1):
            if s[i:j] in vocab:
                i = j
                break
        else:
            return False
    return True
