"""Brute force for gqa-attention: loop over heads, queries and keys."""

import math


def gqa_attention(q, k, v) -> list[list[list[float]]]:
    """Head j, row i: causal softmax over K/V head j // (h // g)."""
    q = [[[float(x) for x in row] for row in head] for head in q]
    k = [[[float(x) for x in row] for row in head] for head in k]
    v = [[[float(x) for x in row] for row in head] for head in v]
    h, g, d = len(q), len(k), len(q[0][0])
    out = []
    for j in range(h):
        kh, vh = k[j // (h // g)], v[j // (h // g)]
        rows = []
        for i, qi in enumerate(q[j]):
            scores = [sum(a * b for a, b in zip(qi, kh[t])) / math.sqrt(d) for t in range(i + 1)]
            top = max(scores)
            weights = [math.exp(s - top) for s in scores]
            total = sum(weights)
            rows.append([sum(weights[t] * vh[t][c] for t in range(i + 1)) / total for c in range(len(vh[0]))])
        out.append(rows)
    return out
