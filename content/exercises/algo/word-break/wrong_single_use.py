# expect: WA
"""Wrong for word-break: lets each vocabulary word be used at most once, though the statement allows reuse."""


def word_break(s: str, words: list[str]) -> bool:
    vocab = set(words)

    def go(i: int, used: frozenset) -> bool:
        if i == len(s):
            return True
        for j in range(i + 1, len(s) + 1):
            piece = s[i:j]
            if piece in vocab and piece not in used and go(j, used | {piece}):
                return True
        return False

    return go(0, frozenset())
