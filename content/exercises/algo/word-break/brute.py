"""Brute force for word-break: tries every way of cutting s into pieces (short strings only)."""

from itertools import product


def word_break(s: str, words: list[str]) -> bool:
    """Whether some cutting of s has every piece in the vocabulary, by enumeration."""
    vocab = set(words)
    for cuts in product([False, True], repeat=len(s) - 1):
        pieces, start = [], 0
        for pos, cut in enumerate(cuts, 1):
            if cut:
                pieces.append(s[start:pos])
                start = pos
        pieces.append(s[start:])
        if all(p in vocab for p in pieces):
            return True
    return False
