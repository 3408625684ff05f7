"""Reference for largest-number-concat: order by "a before b if ab > ba", O(n log n) comparisons."""

from functools import cmp_to_key


def _before(a: str, b: str) -> int:
    # This order is transitive, and any adjacent pair out of it can be swapped for a larger result.
    if a + b > b + a:
        return -1
    return 1 if a + b < b + a else 0


def largest_number(nums: list[int]) -> str:
    text = "".join(sorted(map(str, nums), key=cmp_to_key(_before)))
    return "0" if text[0] == "0" else text
