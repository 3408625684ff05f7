# expect: WA
"""Plausible bug for local-global-attention: global tokens are only attended to, they do not attend to all keys."""

import numpy as np


def local_global_attention(q, k, v, block, n_global):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    n, d = q.shape
    b, g = int(block), min(int(n_global), n)
    out = np.empty((n, v.shape[1]))
    for i in range(n):
        start = i // b * b
        idx = sorted(set(range(g)) | set(range(start, min(start + b, n))))
        s = k[idx] @ q[i] / np.sqrt(d)
        p = np.exp(s - s.max())
        out[i] = p @ v[idx] / p.sum()
    return out
