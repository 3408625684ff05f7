"""Brute force for remove-k-digits: try every set of digits to keep and take the smallest value."""

from itertools import combinations


def remove_k_digits(num: str, k: int) -> str:
    keep = len(num) - k
    if keep == 0:
        return "0"
    best = min(int("".join(num[i] for i in idx)) for idx in combinations(range(len(num)), keep))
    return str(best)
