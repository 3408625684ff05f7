# expect: WA
"""Wrong for queue-reconstruction-height: tallest first, but people of equal height are inserted in input
order instead of by ascending k, so a later insert at a smaller k pushes an equal-height person back."""


def reconstruct_queue(people: list[list[int]]) -> list[list[int]]:
    queue: list[list[int]] = []
    for h, k in sorted(people, key=lambda p: -p[0]):
        queue.insert(k, [h, k])
    return queue
