"""Reference for longest-palindromic-subsequence: interval DP over (i, j) kept as two rows, O(n^2) time."""


def longest_palindrome_subseq(s: str) -> int:
    """Length of the longest palindromic subsequence of s."""
    n = len(s)
    # prev[j] = answer for s[i+1 .. j]; cur[j] = answer for s[i .. j].
    prev = [0] * n
    for i in range(n - 1, -1, -1):
        cur = [0] * n
        cur[i] = 1
        a = s[i]
        for j in range(i + 1, n):
            if s[j] == a:
                cur[j] = prev[j - 1] + 2
            else:
                cur[j] = max(cur[j - 1], prev[j])
        prev = cur
    return prev[n - 1]
