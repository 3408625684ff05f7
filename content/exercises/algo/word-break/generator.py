"""Test generator for word-break: tiny and longest-match traps, random vocabularies, then 300-char worst cases."""

import random

MAX_S = 300
MAX_WORDS = 1000
MAX_WORD = 20


def _word(rng: random.Random, n: int, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _vocab(rng: random.Random, count: int, alphabet: str, max_len: int) -> list[str]:
    vocab: set[str] = set()
    while len(vocab) < count:
        vocab.add(_word(rng, rng.randint(1, max_len), alphabet))
    return sorted(vocab)


def _sentence(rng: random.Random, vocab: list[str], target: int) -> str:
    out = ""
    while len(out) < target:
        out += rng.choice(vocab)
    return out[:MAX_S]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        ["a", ["a"]],
        ["a", ["b"]],
        ["ab", ["abc", "a"]],
        ["aaaaaaa", ["aaaa", "aaa"]],
        ["abcd", ["abc", "ab", "cd"]],
        ["goalspecial", ["go", "goal", "goals", "special"]],
        ["abab", ["ab"]],  # a word may be reused
    ]
    if i < len(fixed):
        return fixed[i]
    if i == 27:
        # Backtracking worst case: every prefix of a-runs matches, the final b never does.
        return ["a" * (MAX_S - 1) + "b", ["a" * k for k in range(1, MAX_WORD + 1)]]
    if i == 28:
        # Full-size vocabulary over {a, b}; the lone c in the middle makes the answer False.
        vocab = set(_vocab(rng, MAX_WORDS - 10, "ab", MAX_WORD)) | {"a" * k for k in range(1, 11)}
        s = "a" * 150 + "c" + "a" * 149
        return [s, sorted(vocab)]
    if i == 29:
        vocab = _vocab(rng, MAX_WORDS, "abc", MAX_WORD)
        return [_sentence(rng, vocab, MAX_S), vocab]
    alphabet = rng.choice(["ab", "abc", "abcdefg"])
    max_len = rng.choice([4, 6])
    # Cap the count below the number of distinct words that exist (2 letters, length <= 4: 30).
    vocab = _vocab(rng, min(rng.randint(2, 60), len(alphabet) ** max_len // 2), alphabet, max_len)
    s = _sentence(rng, vocab, rng.randint(5, 120))
    if rng.random() < 0.5:
        # Perturb one letter: often (not always) breaks the segmentation.
        p = rng.randrange(len(s))
        s = s[:p] + rng.choice(alphabet) + s[p + 1:]
    return [s, vocab]


def small(rng: random.Random, i: int) -> list:
    alphabet = rng.choice(["ab", "abc"])
    vocab = _vocab(rng, rng.randint(1, 6), alphabet, 3)
    return [_word(rng, rng.randint(1, 12), alphabet), vocab]
