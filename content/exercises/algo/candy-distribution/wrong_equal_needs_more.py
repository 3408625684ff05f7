# expect: WA
"""Wrong for candy-distribution: treats an equal neighbour like a lower one (>= instead of >), so ties cost candy."""


def min_candies(ratings: list[int]) -> int:
    n = len(ratings)
    candy = [1] * n
    for i in range(1, n):
        if ratings[i] >= ratings[i - 1]:
            candy[i] = candy[i - 1] + 1
    for i in range(n - 2, -1, -1):
        if ratings[i] >= ratings[i + 1]:
            candy[i] = max(candy[i], candy[i + 1] + 1)
    return sum(candy)
