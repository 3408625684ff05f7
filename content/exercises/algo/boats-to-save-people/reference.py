"""Reference for boats-to-save-people: heaviest person rides with the lightest if they fit, O(n log n)."""


def num_rescue_boats(people: list[int], limit: int) -> int:
    w = sorted(people)
    lo, hi = 0, len(w) - 1
    boats = 0
    while lo <= hi:
        # If even the lightest cannot join the heaviest, nobody can; otherwise the lightest is the
        # partner that leaves the most flexibility for everyone else.
        if lo < hi and w[lo] + w[hi] <= limit:
            lo += 1
        hi -= 1
        boats += 1
    return boats
