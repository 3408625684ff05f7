# expect: WA
"""Plausible bug for local-global-attention: global keys that sit inside the query's block are counted twice."""

import numpy as np


def local_global_attention(q, k, v, block, n_global):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    n, d = q.shape
    b, g = int(block), min(int(n_global), n)
    out = np.empty((n, v.shape[1]))
    for i in range(n):
        if i < g:
            keys, vals = k, v
        else:
            start = i // b * b
            keys = np.concatenate([k[:g], k[start:start + b]])
            vals = np.concatenate([v[:g], v[start:start + b]])
        s = keys @ q[i] / np.sqrt(d)
        p = np.exp(s - s.max())
        out[i] = p @ vals / p.sum()
    return out
