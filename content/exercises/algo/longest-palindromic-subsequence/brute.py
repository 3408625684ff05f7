"""Brute force for longest-palindromic-subsequence: checks every subset of positions (short strings only)."""


def longest_palindrome_subseq(s: str) -> int:
    """Longest palindrome among all 2^n subsequences."""
    n = len(s)
    best = 0
    for mask in range(1, 1 << n):
        t = [s[i] for i in range(n) if mask >> i & 1]
        if len(t) > best and t == t[::-1]:
            best = len(t)
    return best
