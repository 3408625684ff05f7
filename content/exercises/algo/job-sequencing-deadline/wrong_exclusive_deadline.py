# expect: WA
"""Wrong for job-sequencing-deadline: reads the deadline as exclusive (slots 1..d-1), so a job due at d
loses its last slot and a job due at 1 can never run."""

import heapq


def max_job_profit(deadlines: list[int], profits: list[int]) -> int:
    kept: list[int] = []
    for d, p in sorted(zip(deadlines, profits, strict=True)):
        heapq.heappush(kept, p)
        while len(kept) > d - 1:
            heapq.heappop(kept)
    return sum(kept)
