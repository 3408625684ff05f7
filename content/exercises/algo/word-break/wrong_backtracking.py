# expect: TLE
"""Correct but exponential backtracking for word-break: no memo of positions already known to fail."""


def word_break(s: str, words: list[str]) -> bool:
    def go(i: int) -> bool:
        if i == len(s):
            return True
        return any(s.startswith(w, i) and go(i + len(w)) for w in words)

    return go(0)
