# expect: WA
"""Plausible bug for mqa-attention: normalises over the query axis instead of the key axis."""

import numpy as np


def mqa_attention(q, k, v):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    _, n, d = q.shape
    scores = q @ k.T / np.sqrt(d)
    scores[:, np.triu(np.ones((n, n), dtype=bool), k=1)] = -np.inf
    scores -= scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    return (weights / weights.sum(axis=1, keepdims=True)) @ v
