"""Brute force for sliding-window-attention: explicit loops over each query's window."""

import math


def sliding_window_attention(q, k, v, w) -> list[list[float]]:
    """Row i is the softmax-weighted mean of v[j] for max(0, i-w+1) <= j <= i."""
    q = [[float(x) for x in row] for row in q]
    k = [[float(x) for x in row] for row in k]
    v = [[float(x) for x in row] for row in v]
    w = int(w)
    d = len(q[0])
    out = []
    for i, qi in enumerate(q):
        window = range(max(0, i - w + 1), i + 1)
        scores = [sum(a * b for a, b in zip(qi, k[j])) / math.sqrt(d) for j in window]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        out.append([sum(wt * v[j][c] for wt, j in zip(weights, window)) / total for c in range(len(v[0]))])
    return out
