"""Reference for min-gpu-sessions: bitmask DP over the set of placed jobs, O(2^n · n).

best[mask] is the lexicographically smallest (sessions, minutes used in the last session) for the jobs in
mask. Any packing can be written as an order of jobs filled session by session, and a smaller pair is never
worse for the jobs still to come, so extending only the best pair of each set loses nothing.
"""


def min_sessions(jobs: list[int], session: int) -> int:
    """Fewest sessions of `session` minutes that hold every job unsplit."""
    n = len(jobs)
    best = [(n + 1, 0)] * (1 << n)
    best[0] = (1, 0)  # one open, empty session
    for mask in range(1 << n):
        used, last = best[mask]
        for i in range(n):
            if mask >> i & 1:
                continue
            t = jobs[i]
            cand = (used, last + t) if last + t <= session else (used + 1, t)
            bigger = mask | 1 << i
            if cand < best[bigger]:
                best[bigger] = cand
    return best[-1][0]
