# expect: WA
"""Wrong for boats-to-save-people: fills each boat up to the weight limit and forgets that it holds at most two people."""


def num_rescue_boats(people: list[int], limit: int) -> int:
    boats, load = 0, limit + 1
    for w in sorted(people):
        if load + w > limit:
            boats += 1
            load = 0
        load += w
    return boats
