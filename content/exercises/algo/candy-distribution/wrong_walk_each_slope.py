# expect: TLE
"""Too slow for candy-distribution: for every child walks down both slopes to measure them, O(n^2) on long runs."""


def min_candies(ratings: list[int]) -> int:
    n = len(ratings)
    total = 0
    for i in range(n):
        left = 0
        j = i
        while j > 0 and ratings[j] > ratings[j - 1]:
            left += 1
            j -= 1
        right = 0
        j = i
        while j < n - 1 and ratings[j] > ratings[j + 1]:
            right += 1
            j += 1
        total += 1 + max(left, right)
    return total
