# expect: TLE
"""Correct but exponential backtracking for interleaving-string: revisits the same (i, j) states."""


def is_interleave(s1: str, s2: str, s3: str) -> bool:
    if len(s1) + len(s2) != len(s3):
        return False

    def go(i: int, j: int) -> bool:
        if i + j == len(s3):
            return True
        c = s3[i + j]
        return (i < len(s1) and s1[i] == c and go(i + 1, j)) or (j < len(s2) and s2[j] == c and go(i, j + 1))

    return go(0, 0)
