# expect: WA
"""Plausible bug for gqa-attention: treats GQA as MQA and lets every query head read K/V head 0."""

import numpy as np


def gqa_attention(q, k, v):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    _, n, d = q.shape
    scores = q @ k[0].T / np.sqrt(d)
    scores[:, np.triu(np.ones((n, n), dtype=bool), k=1)] = -np.inf
    scores -= scores.max(axis=2, keepdims=True)
    weights = np.exp(scores)
    return (weights / weights.sum(axis=2, keepdims=True)) @ v[0]
