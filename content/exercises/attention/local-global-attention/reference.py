"""Reference for local-global-attention: block-local attention plus global tokens, O(n·(b+g)) memory."""

import numpy as np


def _softmax_rows(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=1, keepdims=True)


def local_global_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, block: int, n_global: int) -> np.ndarray:
    """Global queries (i < g) see every key; others see their own block plus the g global keys."""
    q = np.asarray(q, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    n, d = q.shape
    b, g = int(block), min(int(n_global), n)
    scale = 1.0 / np.sqrt(d)
    out = np.empty((n, v.shape[1]))
    if g:
        out[:g] = _softmax_rows(q[:g] @ k.T * scale) @ v  # g×n: linear in n for fixed g
    for start in range(0, n, b):
        end = min(start + b, n)
        lo = max(start, g)  # queries and block keys below g are global, handled above / already in k[:g]
        if lo >= end:
            continue
        keys = np.concatenate([k[:g], k[lo:end]])
        vals = np.concatenate([v[:g], v[lo:end]])
        out[lo:end] = _softmax_rows(q[lo:end] @ keys.T * scale) @ vals
    return out
