# expect: COMPLEXITY
"""Numerically right but O(n²) memory: ordinary softmax attention over the full n×n score matrix."""

import numpy as np


def online_softmax_attention(q, k, v, block, causal):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    n, d = q.shape
    scores = q @ k.T / np.sqrt(d)
    if causal:
        scores[np.triu(np.ones((n, n), dtype=bool), k=1)] = -np.inf
    scores -= scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    return (weights / weights.sum(axis=1, keepdims=True)) @ v
