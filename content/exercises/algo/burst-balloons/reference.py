"""Reference for burst-balloons: interval DP on the last block evicted in each open interval, O(n^3)."""


def max_coins(values: list[int]) -> int:
    """Maximum total earned by evicting every block in the best order."""
    a = [1] + values + [1]  # sentinels: a missing neighbour counts as 1
    m = len(a)
    # best[l][r]: best total for evicting everything strictly between l and r (l and r stay).
    # col[r][k] mirrors best[k][r] so the inner loop reads two rows instead of a column.
    best = [[0] * m for _ in range(m)]
    col = [[0] * m for _ in range(m)]
    for span in range(2, m):
        for lo in range(m - span):
            hi = lo + span
            ends = a[lo] * a[hi]
            row, back = best[lo], col[hi]
            v = max(ends * a[k] + row[k] + back[k] for k in range(lo + 1, hi))
            best[lo][hi] = v
            col[hi][lo] = v
    return best[0][m - 1]
