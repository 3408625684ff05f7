"""Test generator for edit-distance: empty strings, identical and disjoint words, then 500 x 500 cases."""

import random
import string

MAX_LEN = 500


def _word(rng: random.Random, n: int, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _mutate(rng: random.Random, s: str, edits: int, alphabet: str) -> str:
    chars = list(s)
    for _ in range(edits):
        op = rng.randrange(3)
        p = rng.randrange(len(chars) + 1)
        if op == 0 and len(chars) < MAX_LEN:
            chars.insert(p, rng.choice(alphabet))
        elif chars and p < len(chars):
            if op == 1:
                del chars[p]
            else:
                chars[p] = rng.choice(alphabet)
    return "".join(chars)


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        ["", ""],
        ["a", ""],
        ["", "zz"],
        ["same", "same"],
        ["abc", "xyz"],
        ["intention", "execution"],
        ["ab", "ba"],
    ]
    if i < len(fixed):
        return fixed[i]
    alphabet = rng.choice(["ab", "abcd", string.ascii_lowercase])
    if i >= 27:
        a = _word(rng, MAX_LEN, alphabet)
        # One max case is a lightly edited copy (small distance), the others are unrelated strings.
        b = _mutate(rng, a, 40, alphabet) if i == 27 else _word(rng, MAX_LEN, alphabet)
        return [a, b[:MAX_LEN]]
    a = _word(rng, rng.randint(1, 120), alphabet)
    if rng.random() < 0.5:
        b = _mutate(rng, a, rng.randint(1, 30), alphabet)
    else:
        b = _word(rng, rng.randint(0, 120), alphabet)
    return [a, b]


def small(rng: random.Random, i: int) -> list:
    alphabet = rng.choice(["ab", "abc"])
    return [_word(rng, rng.randint(0, 4), alphabet), _word(rng, rng.randint(0, 4), alphabet)]
