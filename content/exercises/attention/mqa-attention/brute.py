"""Brute force for mqa-attention: loop over heads, queries and keys."""

import math


def mqa_attention(q, k, v) -> list[list[list[float]]]:
    """Every head attends causally to the same K/V."""
    q = [[[float(x) for x in row] for row in head] for head in q]
    k = [[float(x) for x in row] for row in k]
    v = [[float(x) for x in row] for row in v]
    d = len(k[0])
    out = []
    for head in q:
        rows = []
        for i, qi in enumerate(head):
            scores = [sum(a * b for a, b in zip(qi, k[t])) / math.sqrt(d) for t in range(i + 1)]
            top = max(scores)
            weights = [math.exp(s - top) for s in scores]
            total = sum(weights)
            rows.append([sum(weights[t] * v[t][c] for t in range(i + 1)) / total for c in range(len(v[0]))])
        out.append(rows)
    return out
