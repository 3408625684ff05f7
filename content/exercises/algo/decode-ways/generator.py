"""Test generator for decode-ways: zeros in every awkward place, long runs of 1s and 2s, then 10000 digits."""

import random

MAX_LEN = 10000


def _digits(rng: random.Random, n: int, pool: str) -> str:
    return "".join(rng.choice(pool) for _ in range(n))


def generate(rng: random.Random, i: int) -> list:
    fixed = ["0", "7", "10", "27", "100", "2101", "301", "1" * 40, "2626", "05",
             "1" * 100]  # 1s only: the count is Fibonacci(101), far above the modulus
    if i < len(fixed):
        return [fixed[i]]
    if i >= 27:
        # Mostly 1s and 2s (many ways), a sprinkle of zeros that are decodable only after 1 or 2.
        s = list(_digits(rng, MAX_LEN, "1212126"))
        for p in range(1, MAX_LEN, rng.randint(50, 200)):
            if s[p - 1] in "12":
                s[p] = "0"
        return ["".join(s)]
    n = rng.randint(1, 300)
    if i % 4 == 0:
        # Unrestricted digits: stray zeros usually make the whole string undecodable.
        return [_digits(rng, n, rng.choice(["0123", "0123456789"]))]
    # Zeros only where they are decodable (after 1 or 2), so the count is usually non-zero.
    s = [rng.choice("123456789")]
    while len(s) < n:
        s.append("0" if s[-1] in "12" and rng.random() < 0.3 else rng.choice("1122334567789"))
    return ["".join(s)]


def small(rng: random.Random, i: int) -> list:
    pool = rng.choice(["0123", "012", "0123456789", "1267"])
    return [_digits(rng, rng.randint(1, 12), pool)]
