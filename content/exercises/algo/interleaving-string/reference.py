"""Reference for interleaving-string: DP over (chars used from s1, chars used from s2), one row, O(n * m)."""


def is_interleave(s1: str, s2: str, s3: str) -> bool:
    """Whether s3 is an order-preserving merge of s1 and s2."""
    n, m = len(s1), len(s2)
    if n + m != len(s3):
        return False
    # ok[j] for the current i: s3[:i+j] can be formed from s1[:i] and s2[:j].
    ok = [True] + [False] * m
    for j in range(1, m + 1):
        ok[j] = ok[j - 1] and s2[j - 1] == s3[j - 1]
    for i in range(1, n + 1):
        a = s1[i - 1]
        ok[0] = ok[0] and a == s3[i - 1]
        for j in range(1, m + 1):
            c = s3[i + j - 1]
            ok[j] = (ok[j] and a == c) or (ok[j - 1] and s2[j - 1] == c)
    return ok[m]
