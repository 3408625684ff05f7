"""Brute force for kv-cache-decode: full causal attention over prompt + new tokens, keep the new rows."""

import math


def kv_cache_decode(k_cache, v_cache, q, k, v) -> list[list[float]]:
    """New token t sits at position p + t and sees positions 0..p+t of the concatenated K/V."""
    keys = [[float(x) for x in row] for row in list(k_cache) + list(k)]
    values = [[float(x) for x in row] for row in list(v_cache) + list(v)]
    q = [[float(x) for x in row] for row in q]
    p, d = len(k_cache), len(keys[0])
    out = []
    for t, qt in enumerate(q):
        visible = range(p + t + 1)
        scores = [sum(a * b for a, b in zip(qt, keys[j])) / math.sqrt(d) for j in visible]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        out.append([sum(wt * values[j][c] for wt, j in zip(weights, visible)) / total
                    for c in range(len(values[0]))])
    return out
