# expect: WA
"""Plausible bug for causal-attention: a bare exp() of the scores without subtracting each row's maximum;
the large-score tests overflow to inf and the output turns into nan."""

import numpy as np


def causal_attention(q, k, v):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    n = q.shape[0]
    scores = q @ k.T / np.sqrt(q.shape[1])
    scores[np.triu(np.ones((n, n), dtype=bool), k=1)] = -np.inf
    with np.errstate(over="ignore", invalid="ignore"):
        weights = np.exp(scores)
        return (weights / weights.sum(axis=1, keepdims=True)) @ v
