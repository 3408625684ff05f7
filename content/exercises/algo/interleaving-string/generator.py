"""Test generator for interleaving-string: empty strings, length mismatch, shared-letter traps, then 200 + 200."""

import random

MAX_LEN = 200


def _word(rng: random.Random, n: int, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _merge(rng: random.Random, s1: str, s2: str) -> str:
    out, i, j = [], 0, 0
    while i < len(s1) or j < len(s2):
        if j == len(s2) or (i < len(s1) and rng.random() < 0.5):
            out.append(s1[i])
            i += 1
        else:
            out.append(s2[j])
            j += 1
    return "".join(out)


def _swap_two(rng: random.Random, s: str) -> str:
    if len(s) < 2:
        return s + "a"
    p, q = rng.sample(range(len(s)), 2)
    chars = list(s)
    chars[p], chars[q] = chars[q], chars[p]
    return "".join(chars)


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        ["", "", ""],
        ["", "", "a"],
        ["a", "", "a"],
        ["", "b", "b"],
        ["abc", "def", "abcde"],
        ["aa", "ab", "aaba"],
        ["aab", "axy", "aaxaby"],
    ]
    if i < len(fixed):
        return fixed[i]
    if i == 27:
        # Backtracking worst case: all a's until the very last character, which cannot be matched.
        return ["a" * (MAX_LEN - 1) + "b", "a" * MAX_LEN, "a" * (2 * MAX_LEN)]
    if i == 28:
        s1, s2 = "ab" * (MAX_LEN // 2), "ba" * (MAX_LEN // 2)
        return [s1, s2, _swap_two(rng, _merge(rng, s1, s2))]
    alphabet = rng.choice(["a", "ab", "abc"]) if i < 29 else "ab"
    n1 = MAX_LEN if i == 29 else rng.randint(1, 60)
    n2 = MAX_LEN if i == 29 else rng.randint(1, 60)
    s1, s2 = _word(rng, n1, alphabet), _word(rng, n2, alphabet)
    s3 = _merge(rng, s1, s2)
    if i % 2:
        s3 = _swap_two(rng, s3)  # usually (not always) no longer an interleaving
    return [s1, s2, s3]


def small(rng: random.Random, i: int) -> list:
    alphabet = rng.choice(["ab", "abc"])
    s1, s2 = _word(rng, rng.randint(0, 5), alphabet), _word(rng, rng.randint(0, 5), alphabet)
    r = rng.random()
    if r < 0.5:
        s3 = _merge(rng, s1, s2)
    elif r < 0.8:
        s3 = _swap_two(rng, _merge(rng, s1, s2))
    else:
        s3 = _word(rng, rng.randint(0, 10), alphabet)
    return [s1, s2, s3]
