# expect: WA
"""Wrong for job-sequencing-deadline: by profit, takes a job only while fewer jobs than its deadline are taken,
which rejects an early-deadline job that would have fit in front of later ones."""


def max_job_profit(deadlines: list[int], profits: list[int]) -> int:
    taken = 0
    total = 0
    for p, d in sorted(zip(profits, deadlines), reverse=True):
        if taken < d:
            taken += 1
            total += p
    return total
