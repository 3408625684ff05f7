# expect: WA
"""Wrong for boats-to-save-people: after sorting, pairs each person with the next-lightest one if they fit,
which wastes light people on each other instead of on heavy ones."""


def num_rescue_boats(people: list[int], limit: int) -> int:
    w = sorted(people)
    boats = 0
    i = 0
    while i < len(w):
        if i + 1 < len(w) and w[i] + w[i + 1] <= limit:
            i += 2
        else:
            i += 1
        boats += 1
    return boats
