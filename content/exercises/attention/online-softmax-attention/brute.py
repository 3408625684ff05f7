"""Brute force for online-softmax-attention: the plain (non-tiled) softmax attention, looped."""

import math


def online_softmax_attention(q, k, v, block, causal) -> list[list[float]]:
    """The block size must not change the result: this ignores it and computes softmax directly."""
    q = [[float(x) for x in row] for row in q]
    k = [[float(x) for x in row] for row in k]
    v = [[float(x) for x in row] for row in v]
    d = len(q[0])
    out = []
    for i, qi in enumerate(q):
        visible = range(i + 1) if causal else range(len(k))
        scores = [sum(a * b for a, b in zip(qi, k[j])) / math.sqrt(d) for j in visible]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        out.append([sum(wt * v[j][c] for wt, j in zip(weights, visible)) / total for c in range(len(v[0]))])
    return out
