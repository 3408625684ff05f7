"""Reference for sliding-window-attention: causal attention over the last w keys, O(n·w) memory."""

import numpy as np


def sliding_window_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, w: int) -> np.ndarray:
    """Query i attends to keys max(0, i-w+1)..i; processed in chunks of w queries."""
    q = np.asarray(q, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    w = int(w)
    n, d = q.shape
    out = np.empty((n, v.shape[1]))
    # A chunk of w queries needs at most 2w-1 keys, so each score block is O(w²), never O(n²).
    for start in range(0, n, w):
        end = min(start + w, n)
        lo = max(0, start - w + 1)
        scores = q[start:end] @ k[lo:end].T / np.sqrt(d)
        i = np.arange(start, end)[:, None]
        j = np.arange(lo, end)[None, :]
        scores[(j > i) | (j <= i - w)] = -np.inf
        scores -= scores.max(axis=1, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(axis=1, keepdims=True)
        out[start:end] = weights @ v[lo:end]
    return out
