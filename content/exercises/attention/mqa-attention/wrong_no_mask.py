# expect: WA
"""Plausible bug for mqa-attention: forgets the causal mask."""

import numpy as np


def mqa_attention(q, k, v):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    scores = q @ k.T / np.sqrt(q.shape[2])
    scores -= scores.max(axis=2, keepdims=True)
    weights = np.exp(scores)
    return (weights / weights.sum(axis=2, keepdims=True)) @ v
