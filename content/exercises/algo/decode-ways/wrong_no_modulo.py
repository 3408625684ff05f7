# expect: WA
"""Wrong for decode-ways: right recurrence, but returns the exact count instead of the count modulo 1e9+7."""


def num_decodings(digits: str) -> int:
    before, last = 0, 1
    prev_ch = ""
    for ch in digits:
        cur = last if ch != "0" else 0
        if prev_ch and 10 <= int(prev_ch + ch) <= 26:
            cur += before
        before, last, prev_ch = last, cur, ch
    return last
