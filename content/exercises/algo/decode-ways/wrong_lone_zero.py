# expect: WA
"""Wrong for decode-ways: lets a lone "0" stand for a letter, checking only that two-digit pieces are <= 26."""

MOD = 1_000_000_007


def num_decodings(digits: str) -> int:
    before, last = 0, 1
    prev_ch = ""
    for ch in digits:
        cur = last
        if prev_ch and 10 <= int(prev_ch + ch) <= 26:
            cur += before
        before, last, prev_ch = last, cur % MOD, ch
    return last
