# expect: WA
"""Plausible bug for online-softmax-attention: stores the blocks with list() and glues them together later;
each block is only valid until the next one arrives (the buffer is reused), so every stored block now holds
the last block's data."""

import numpy as np


def online_softmax_attention(q, kv_blocks, causal):
    q = np.asarray(q, dtype=np.float64)
    blocks = list(kv_blocks)
    k = np.concatenate([kb for kb, _ in blocks])
    v = np.concatenate([vb for _, vb in blocks])
    n, d = q.shape
    scores = q @ k.T / np.sqrt(d)
    if causal:
        scores[np.arange(len(k))[None, :] > np.arange(n)[:, None]] = -np.inf
    scores -= scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    return (weights / weights.sum(axis=1, keepdims=True)) @ v
