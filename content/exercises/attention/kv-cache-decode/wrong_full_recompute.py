# expect: COMPLEXITY
"""Numerically right but O(n²) memory: recomputes full causal attention over the whole sequence."""

import numpy as np


def kv_cache_decode(k_cache, v_cache, q, k, v):
    k_cache, v_cache, q, k, v = (np.asarray(a, dtype=np.float64) for a in (k_cache, v_cache, q, k, v))
    p, d = k_cache.shape
    keys, values = np.vstack([k_cache, k]), np.vstack([v_cache, v])
    # Pad the prompt positions with zero queries so the whole (p+m)×(p+m) causal matrix is formed.
    queries = np.vstack([np.zeros((p, d)), q])
    n = keys.shape[0]
    scores = queries @ keys.T / np.sqrt(d)
    scores[np.triu(np.ones((n, n), dtype=bool), k=1)] = -np.inf
    scores -= scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    return ((weights / weights.sum(axis=1, keepdims=True)) @ values)[p:]
