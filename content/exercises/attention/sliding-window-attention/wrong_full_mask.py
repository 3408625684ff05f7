# expect: COMPLEXITY
"""Numerically right but O(n²) memory: builds the full n×n score matrix and a band mask."""

import numpy as np


def sliding_window_attention(q, k, v, w):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    n, d = q.shape
    scores = q @ k.T / np.sqrt(d)
    i = np.arange(n)[:, None]
    j = np.arange(n)[None, :]
    scores[(j > i) | (j <= i - int(w))] = -np.inf
    scores -= scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    return (weights / weights.sum(axis=1, keepdims=True)) @ v
