# expect: WA
"""Wrong for burst-balloons: pads the row with 0 instead of 1, so a block without a neighbour earns nothing."""


def max_coins(values: list[int]) -> int:
    a = [0] + values + [0]
    m = len(a)
    best = [[0] * m for _ in range(m)]
    for span in range(2, m):
        for lo in range(m - span):
            hi = lo + span
            best[lo][hi] = max(a[lo] * a[k] * a[hi] + best[lo][k] + best[k][hi] for k in range(lo + 1, hi))
    return best[0][m - 1]
