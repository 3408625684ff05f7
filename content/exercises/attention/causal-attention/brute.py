"""Brute force for causal-attention: explicit loops over queries and keys with the math module."""

import math


def causal_attention(q, k, v) -> list[list[float]]:
    """Row i is the softmax-weighted sum of v[0..i] with weights from q[i]·k[j]/√d."""
    q = [[float(x) for x in row] for row in q]
    k = [[float(x) for x in row] for row in k]
    v = [[float(x) for x in row] for row in v]
    d = len(q[0])
    out = []
    for i, qi in enumerate(q):
        scores = [sum(a * b for a, b in zip(qi, k[j])) / math.sqrt(d) for j in range(i + 1)]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        out.append([sum(weights[j] * v[j][c] for j in range(i + 1)) / total for c in range(len(v[0]))])
    return out
