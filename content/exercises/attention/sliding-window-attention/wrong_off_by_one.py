# expect: WA
"""Plausible bug for sliding-window-attention: the window keeps w+1 keys (j >= i-w) instead of w."""

import numpy as np


def sliding_window_attention(q, k, v, w):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    n, d = q.shape
    out = np.empty((n, v.shape[1]))
    for i in range(n):
        lo = max(0, i - int(w))
        s = k[lo:i + 1] @ q[i] / np.sqrt(d)
        p = np.exp(s - s.max())
        out[i] = p @ v[lo:i + 1] / p.sum()
    return out
