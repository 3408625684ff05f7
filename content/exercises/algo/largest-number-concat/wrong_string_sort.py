# expect: WA
"""Wrong for largest-number-concat: sorts the numbers as strings in descending order, so "30" lands before "3"."""


def largest_number(nums: list[int]) -> str:
    text = "".join(sorted(map(str, nums), reverse=True))
    return "0" if text[0] == "0" else text
