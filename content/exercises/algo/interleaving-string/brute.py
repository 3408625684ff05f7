"""Brute force for interleaving-string: tries every choice of which positions of s3 come from s1 (short strings)."""

from itertools import combinations


def is_interleave(s1: str, s2: str, s3: str) -> bool:
    """Whether some split of s3's positions reads s1 on one side and s2 on the other."""
    if len(s1) + len(s2) != len(s3):
        return False
    for picked in combinations(range(len(s3)), len(s1)):
        chosen = set(picked)
        left = "".join(s3[p] for p in picked)
        right = "".join(s3[p] for p in range(len(s3)) if p not in chosen)
        if left == s1 and right == s2:
            return True
    return False
