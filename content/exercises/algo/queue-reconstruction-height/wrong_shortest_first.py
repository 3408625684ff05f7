# expect: WA
"""Wrong for queue-reconstruction-height: inserts shortest people first at index k, but taller people
inserted later shift them and break their counts."""


def reconstruct_queue(people: list[list[int]]) -> list[list[int]]:
    queue: list[list[int]] = []
    for h, k in sorted(people):
        queue.insert(k, [h, k])
    return queue
