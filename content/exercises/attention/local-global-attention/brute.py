"""Brute force for local-global-attention: build each query's key set explicitly and loop."""

import math


def local_global_attention(q, k, v, block, n_global) -> list[list[float]]:
    """Row i: softmax over keys j allowed by the local-block / global-token pattern."""
    q = [[float(x) for x in row] for row in q]
    k = [[float(x) for x in row] for row in k]
    v = [[float(x) for x in row] for row in v]
    n, d, b, g = len(q), len(q[0]), int(block), int(n_global)
    out = []
    for i in range(n):
        if i < g:
            allowed = list(range(n))
        else:
            allowed = sorted({j for j in range(n) if j // b == i // b} | set(range(min(g, n))))
        scores = [sum(x * y for x, y in zip(q[i], k[j])) / math.sqrt(d) for j in allowed]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        out.append([sum(wt * v[j][c] for wt, j in zip(weights, allowed)) / total for c in range(len(v[0]))])
    return out
