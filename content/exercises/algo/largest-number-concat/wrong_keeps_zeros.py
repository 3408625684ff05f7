# expect: WA
"""Wrong for largest-number-concat: orders correctly but returns "000" instead of "0" when every number is 0."""

from functools import cmp_to_key


def largest_number(nums: list[int]) -> str:
    return "".join(sorted(map(str, nums), key=cmp_to_key(lambda a, b: (b + a > a + b) - (b + a < a + b))))
