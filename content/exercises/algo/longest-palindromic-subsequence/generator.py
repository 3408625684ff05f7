"""Test generator for longest-palindromic-subsequence: one letter, all-equal, palindromes, then n = 1000."""

import random
import string

MAX_LEN = 1000


def _word(rng: random.Random, n: int, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def generate(rng: random.Random, i: int) -> list:
    fixed = ["a", "ab", "aa", "abcde", "racecar", "a" * 50, "abcba" + "x" + "abcba"]
    if i < len(fixed):
        return [fixed[i]]
    alphabet = rng.choice(["ab", "abc", "abcdefgh", string.ascii_lowercase])
    if i >= 27:
        if i == 27:
            # A palindrome with noise inserted: the answer is long but not the whole string.
            half = _word(rng, 450, alphabet)
            return [half + _word(rng, 100, alphabet) + half[::-1]]
        return [_word(rng, MAX_LEN, alphabet)]
    return [_word(rng, rng.randint(2, 200), alphabet)]


def small(rng: random.Random, i: int) -> list:
    return [_word(rng, rng.randint(1, 12), rng.choice(["ab", "abc", "abcdef"]))]
