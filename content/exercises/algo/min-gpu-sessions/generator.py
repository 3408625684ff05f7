"""Test generator for min-gpu-sessions: single jobs, exact fits, jobs that cannot be split, First-Fit Decreasing
traps, then 14-job batches whose best packing is tight."""

import random

MAX_N = 14
MAX_S = 1000


def _tight(rng: random.Random, n: int, session: int, groups: int) -> list[int]:
    """Jobs cut from `groups` completely full sessions, then shuffled: the answer is exactly `groups`."""
    cuts = [1] * groups
    for _ in range(n - groups):
        cuts[rng.randrange(groups)] += 1
    jobs = []
    for parts in cuts:
        points = sorted(rng.sample(range(1, session), parts - 1)) if parts > 1 else []
        jobs += [b - a for a, b in zip([0, *points], [*points, session], strict=True)]
    rng.shuffle(jobs)
    return jobs


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[1], 1],
        [[1], MAX_S],
        [[5, 5], 5],                      # each job is exactly a session
        [[3, 3, 3], 9],                   # everything fits exactly in one session
        [[6, 6, 6], 10],                  # the total fits in 2 sessions, the unsplit jobs need 3
        [[6, 6, 5, 4, 3, 2], 13],         # First-Fit Decreasing: 3, best: 2
        [[7, 6, 5, 4, 3, 3], 14],         # First-Fit Decreasing: 3, best: 2
        [[16, 15, 9, 6, 6, 5, 4, 2], 16],  # First-Fit Decreasing: 5, best: 4
        [[1] * MAX_N, MAX_N],             # fourteen 1-minute jobs in one 14-minute session
        [[MAX_S] * MAX_N, MAX_S],         # fourteen full sessions
        [[501] * 7 + [499] * 7, MAX_S],  # pairs 501 + 499 fill sessions exactly: 7
    ]
    if i < len(fixed):
        return fixed[i]
    if i >= 27:
        session = [MAX_S, 97, 600][i - 27]
        return [_tight(rng, MAX_N, session, [5, 4, 6][i - 27]), session]
    n = rng.randint(2, 12)
    if i % 2:
        session = rng.choice([10, 50, MAX_S])
        return [_tight(rng, n, session, rng.randint(1, max(1, n // 2))), session]
    session = rng.randint(5, rng.choice([20, MAX_S]))
    return [[rng.randint(1, session) for _ in range(n)], session]


def small(rng: random.Random, i: int) -> list:
    n = rng.randint(1, 8)
    session = rng.randint(1, rng.choice([6, 20]))
    if i % 3 == 0 and n >= 2:
        groups = rng.randint(1, n // 2)
        session = max(session, n)
        return [_tight(rng, n, session, groups), session]
    return [[rng.randint(1, session) for _ in range(n)], session]
