"""Test generator for partition-labels: edge cases, random grouped strings, then 5·10^4-letter strings."""

import random
import string

MAX_LEN = 5 * 10**4


def _grouped(rng: random.Random, length: int, groups: int) -> str:
    # Letters are split into disjoint groups laid out one after another, so there are several pieces,
    # and letters inside a group interleave so a piece must grow past its first letter's last occurrence.
    letters = rng.sample(string.ascii_lowercase, 26)
    cuts = sorted(rng.sample(range(1, 26), groups - 1)) if groups > 1 else []
    bounds = [0, *cuts, 26]
    marks = sorted(rng.sample(range(1, length), groups - 1)) if groups > 1 else []
    ends = [0, *marks, length]
    out = []
    for k in range(groups):
        alphabet = letters[bounds[k]:bounds[k + 1]]
        out.append("".join(rng.choices(alphabet, k=ends[k + 1] - ends[k])))
    return "".join(out)


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        ["a"],
        ["aaaa"],
        [string.ascii_lowercase],
        ["abab"],
        ["abcba"],
        ["aabbccddeeffgghhiijjkkllmmnnooppqqrrssttuuvvwwxxyyzz"],
        ["zyxwvutsrqponmlkjihgfedcbaz"],
    ]
    if i < len(fixed):
        return fixed[i]
    if i >= 27:
        return [_grouped(rng, MAX_LEN, 26 - 5 * (i - 27))]
    return [_grouped(rng, rng.randint(26, 80 * (i - 6)), rng.randint(1, 26))]


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 10)
    return ["".join(rng.choices("abcde"[: rng.randint(1, 5)], k=n))]
