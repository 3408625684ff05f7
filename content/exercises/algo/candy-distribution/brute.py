"""Brute force for candy-distribution: start everyone at 1 and fix violated pairs until none remain."""


def min_candies(ratings: list[int]) -> int:
    n = len(ratings)
    candy = [1] * n
    changed = True
    while changed:
        changed = False
        for i in range(n - 1):
            if ratings[i] > ratings[i + 1] and candy[i] <= candy[i + 1]:
                candy[i] = candy[i + 1] + 1
                changed = True
            if ratings[i + 1] > ratings[i] and candy[i + 1] <= candy[i]:
                candy[i + 1] = candy[i] + 1
                changed = True
    return sum(candy)
