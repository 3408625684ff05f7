"""Reference for job-sequencing-deadline: by deadline, keep the best jobs in a min-heap, O(n log n)."""

import heapq


def max_job_profit(deadlines: list[int], profits: list[int]) -> int:
    kept: list[int] = []
    for d, p in sorted(zip(deadlines, profits)):
        heapq.heappush(kept, p)
        # Jobs due by d can fill at most d slots; when over, the cheapest one is the one to give up.
        if len(kept) > d:
            heapq.heappop(kept)
    return sum(kept)
