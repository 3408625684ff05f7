# expect: WA
"""Plausible bug for sliding-window-attention: a symmetric window |i-j| < w that also looks ahead."""

import numpy as np


def sliding_window_attention(q, k, v, w):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    n, d = q.shape
    out = np.empty((n, v.shape[1]))
    for i in range(n):
        lo, hi = max(0, i - int(w) + 1), min(n, i + int(w))
        s = k[lo:hi] @ q[i] / np.sqrt(d)
        p = np.exp(s - s.max())
        out[i] = p @ v[lo:hi] / p.sum()
    return out
