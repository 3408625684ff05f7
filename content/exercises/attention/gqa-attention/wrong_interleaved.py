# expect: WA
"""Plausible bug for gqa-attention: maps query head j to K/V head j % g (interleaved) instead of j // (h/g)."""

import numpy as np


def gqa_attention(q, k, v):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    h, n, d = q.shape
    g = k.shape[0]
    k_rep, v_rep = np.tile(k, (h // g, 1, 1)), np.tile(v, (h // g, 1, 1))
    scores = q @ k_rep.transpose(0, 2, 1) / np.sqrt(d)
    scores[:, np.triu(np.ones((n, n), dtype=bool), k=1)] = -np.inf
    scores -= scores.max(axis=2, keepdims=True)
    weights = np.exp(scores)
    return (weights / weights.sum(axis=2, keepdims=True)) @ v_rep
