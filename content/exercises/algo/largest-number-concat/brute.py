"""Brute force for largest-number-concat: try every order; equal-length digit strings compare like numbers."""

from itertools import permutations


def largest_number(nums: list[int]) -> str:
    best = max("".join(order) for order in permutations(map(str, nums)))
    return best.lstrip("0") or "0"
