# expect: TLE
"""Too slow for job-sequencing-deadline: by profit, walks back from the deadline to the latest free slot,
O(n·D) when deadlines are late."""


def max_job_profit(deadlines: list[int], profits: list[int]) -> int:
    free = [True] * (max(deadlines) + 1)
    total = 0
    for p, d in sorted(zip(profits, deadlines), reverse=True):
        for slot in range(d, 0, -1):
            if free[slot]:
                free[slot] = False
                total += p
                break
    return total
