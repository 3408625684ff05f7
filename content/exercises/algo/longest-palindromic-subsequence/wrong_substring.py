# expect: WA
"""Plausible bug for longest-palindromic-subsequence: computes the longest palindromic substring (contiguous)."""


def longest_palindrome_subseq(s: str) -> int:
    best = 0
    for centre in range(2 * len(s) - 1):
        lo, hi = centre // 2, (centre + 1) // 2
        while lo >= 0 and hi < len(s) and s[lo] == s[hi]:
            lo -= 1
            hi += 1
        best = max(best, hi - lo - 1)
    return best
