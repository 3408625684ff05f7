"""Brute force for min-gpu-sessions: every way of grouping the jobs (set partitions, small n only)."""


def min_sessions(jobs: list[int], session: int) -> int:
    """Tries each job in every existing session with room and in a new one; returns the fewest sessions."""
    best = len(jobs)

    def place(i: int, loads: list[int]) -> None:
        nonlocal best
        if i == len(jobs):
            best = min(best, len(loads))
            return
        for s in range(len(loads)):
            if loads[s] + jobs[i] <= session:
                loads[s] += jobs[i]
                place(i + 1, loads)
                loads[s] -= jobs[i]
        loads.append(jobs[i])
        place(i + 1, loads)
        loads.pop()

    place(0, [])
    return best
