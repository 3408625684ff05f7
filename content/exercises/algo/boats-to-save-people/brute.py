"""Brute force for boats-to-save-people: try every way to pair people up (memoised over who is left)."""

from functools import cache


def num_rescue_boats(people: list[int], limit: int) -> int:
    n = len(people)

    @cache
    def best(left: int) -> int:
        if left == 0:
            return 0
        first = (left & -left).bit_length() - 1
        rest = left & ~(1 << first)
        answer = 1 + best(rest)  # first person rides alone
        for j in range(n):
            if rest >> j & 1 and people[first] + people[j] <= limit:
                answer = min(answer, 1 + best(rest & ~(1 << j)))
        return answer

    return best((1 << n) - 1)
