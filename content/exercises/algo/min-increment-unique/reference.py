"""Reference for min-increment-unique: sort, then lift each value just above its predecessor, O(n log n)."""


def min_increment_for_unique(nums: list[int]) -> int:
    moves = 0
    floor = -1  # the largest value handed out so far
    for x in sorted(nums):
        # In sorted order the smallest free value >= x is the cheapest target, and it is never worse
        # for later (larger) values.
        target = max(x, floor + 1)
        moves += target - x
        floor = target
    return moves
