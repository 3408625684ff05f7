# expect: WA
"""Wrong for interleaving-string: right DP but never compares lengths, so a merged log with extra or missing
characters can still pass (it only asks whether a prefix of s3 interleaves s1 and s2)."""


def is_interleave(s1: str, s2: str, s3: str) -> bool:
    n, m = len(s1), len(s2)
    ok = [True] + [False] * m
    for j in range(1, m + 1):
        ok[j] = ok[j - 1] and j - 1 < len(s3) and s2[j - 1] == s3[j - 1]
    for i in range(1, n + 1):
        a = s1[i - 1]
        ok[0] = ok[0] and i - 1 < len(s3) and a == s3[i - 1]
        for j in range(1, m + 1):
            if i + j - 1 >= len(s3):
                ok[j] = False
                continue
            c = s3[i + j - 1]
            ok[j] = (ok[j] and a == c) or (ok[j - 1] and s2[j - 1] == c)
    return ok[m]
