"""Reference for queue-reconstruction-height: place the tallest first, each at index k, O(n^2) list inserts."""


def reconstruct_queue(people: list[list[int]]) -> list[list[int]]:
    queue: list[list[int]] = []
    # Everyone already placed is at least as tall, so index k is exactly where k of them stand in front;
    # shorter people inserted later never change that count.
    for h, k in sorted(people, key=lambda p: (-p[0], p[1])):
        queue.insert(k, [h, k])
    return queue
