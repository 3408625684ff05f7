# expect: WA
"""Plausible bug for causal-attention: the mask also hides the diagonal, so a token cannot see itself."""

import numpy as np


def causal_attention(q, k, v):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    n, d = q.shape
    scores = q @ k.T / np.sqrt(d)
    scores[np.triu(np.ones((n, n), dtype=bool), k=0)] = -np.inf
    scores -= scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    return (weights / weights.sum(axis=1, keepdims=True)) @ v
