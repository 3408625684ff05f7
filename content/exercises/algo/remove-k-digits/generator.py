"""Test generator for remove-k-digits: edge cases, random numbers, then 2·10^4-digit numbers.

Tests 30 and 31 rise (almost) all the way: the first descent is at the far end, so a solution that rescans from
the front before each removal walks nearly the whole number every time, about k·n steps. With tests 27-28 they cost
it several times the CPU limit on a machine several times faster than ours (tests/test_exercise_content.py runs it
with three times the limit and still expects TLE).
"""

import random

MAX_LEN = 2 * 10**4
COUNT = 32  # hidden tests (content/build_tests.py reads it)


def _number(rng: random.Random, length: int, digits: str = "0123456789") -> str:
    if length == 1:
        return rng.choice(digits)
    first = rng.choice([d for d in digits if d != "0"] or ["1"])
    return first + "".join(rng.choices(digits, k=length - 1))


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        ["0", 0],
        ["0", 1],
        ["9", 1],
        ["123456789", 3],
        ["987654321", 3],
        ["100000", 1],
        ["112", 1],
        ["10001", 4],
        ["5337", 2],
    ]
    if i < len(fixed):
        return fixed[i]
    half = MAX_LEN // 2
    if i == 27:
        # A long rising prefix followed by falling digits: every removal happens far from the front.
        return ["1" * half + "9876543210" * (half // 10), half]
    if i == 28:
        rising = "".join(sorted(rng.choices("123456789", k=half)))
        return [rising + _number(rng, half), half]
    if i == 29:
        return [_number(rng, MAX_LEN), MAX_LEN - 7]
    if i == 30:
        # Non-decreasing: every removal takes the last digit, after a scan of the whole number.
        return ["".join(sorted(rng.choices("123456789", k=MAX_LEN))), MAX_LEN // 4]
    if i == 31:
        rising = "".join(sorted(rng.choices("0123456789", k=MAX_LEN - 100))).lstrip("0")
        return [rising + "".join(rng.choices("0123456789", k=MAX_LEN - len(rising))), MAX_LEN // 5]
    n = rng.randint(1, 40 * (i - 8))
    digits = rng.choice(["0123456789", "019", "12", "0123"])
    return [_number(rng, n, digits), rng.randint(0, n)]


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 10)
    num = _number(rng, n, rng.choice(["0123456789", "019", "012"]))
    return [num, rng.randint(0, n)]
