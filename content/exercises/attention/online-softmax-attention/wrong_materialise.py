# expect: COMPLEXITY
"""Numerically right but not a streaming method: copies every block, then ordinary softmax attention over the
whole score matrix; memory grows with the number of keys."""

import numpy as np


def online_softmax_attention(q, kv_blocks, causal):
    q = np.asarray(q, dtype=np.float64)
    pairs = [(kb.copy(), vb.copy()) for kb, vb in kv_blocks]
    k = np.concatenate([kb for kb, _ in pairs])
    v = np.concatenate([vb for _, vb in pairs])
    n, d = q.shape
    scores = q @ k.T / np.sqrt(d)
    if causal:
        scores[np.arange(len(k))[None, :] > np.arange(n)[:, None]] = -np.inf
    scores -= scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    return (weights / weights.sum(axis=1, keepdims=True)) @ v
