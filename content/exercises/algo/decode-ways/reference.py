"""Reference for decode-ways: Fibonacci-like DP over prefixes, O(n) time, O(1) memory."""

MOD = 1_000_000_007


def num_decodings(digits: str) -> int:
    """Number of letter strings encoding to digits, modulo 1e9+7."""
    before, last = 0, 1  # decodings of the prefix two back / one back (empty prefix: 1)
    prev_ch = ""
    for ch in digits:
        cur = last if ch != "0" else 0
        if prev_ch and 10 <= int(prev_ch + ch) <= 26:  # two-digit code, no leading zero
            cur += before
        before, last, prev_ch = last, cur % MOD, ch
    return last
