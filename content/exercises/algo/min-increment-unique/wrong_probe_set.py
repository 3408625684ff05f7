# expect: TLE
"""Too slow for min-increment-unique: walks each value up one step at a time until it is unused, O(n^2) when
many values collide."""


def min_increment_for_unique(nums: list[int]) -> int:
    used: set[int] = set()
    moves = 0
    for x in nums:
        while x in used:
            x += 1
            moves += 1
        used.add(x)
    return moves
