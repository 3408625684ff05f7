# expect: WA
"""Plausible bug for sliding-window-attention: slices k[i-w+1 : i+1] without clamping the start at 0; near the
start the negative index counts from the end, so early queries get an empty or wrong window."""

import numpy as np


def sliding_window_attention(q, k, v, w):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    n, d = q.shape
    out = np.zeros((n, v.shape[1]))
    for i in range(n):
        lo = i - int(w) + 1
        keys, values = k[lo:i + 1], v[lo:i + 1]
        if len(keys) == 0:
            continue  # nothing to attend to: leave the row at zero
        s = keys @ q[i] / np.sqrt(d)
        p = np.exp(s - s.max())
        out[i] = p @ values / p.sum()
    return out
