# expect: COMPLEXITY
"""Numerically right but O(n²) memory: dense n×n scores with a block-sparse boolean mask."""

import numpy as np


def local_global_attention(q, k, v, block, n_global):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    n, d = q.shape
    b, g = int(block), int(n_global)
    i = np.arange(n)[:, None]
    j = np.arange(n)[None, :]
    allowed = (i // b == j // b) | (j < g) | (i < g)
    scores = np.where(allowed, q @ k.T / np.sqrt(d), -np.inf)
    scores -= scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    return (weights / weights.sum(axis=1, keepdims=True)) @ v
