# expect: WA
"""Plausible bug for decode-ways: accepts two-digit pieces like "06" because it only checks the upper bound 26."""

MOD = 1_000_000_007


def num_decodings(digits: str) -> int:
    before, last = 0, 1
    for i, ch in enumerate(digits):
        cur = last if ch != "0" else 0
        if i and int(digits[i - 1:i + 1]) <= 26:
            cur += before
        before, last = last, cur % MOD
    return last
