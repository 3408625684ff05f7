# expect: COMPLEXITY
"""Numerically right but not the online method: one row at a time, an exact softmax needs all of K and V at
once, so it keeps a copy of the whole stream; memory grows with the number of keys (a single score row each,
so the old n×n memory check could not tell it from the online softmax)."""

import numpy as np


def online_softmax_attention(q, kv_blocks, causal):
    q = np.asarray(q, dtype=np.float64)
    k_parts, v_parts = [], []
    for k_block, v_block in kv_blocks:
        k_parts.append(np.array(k_block))
        v_parts.append(np.array(v_block))
    k, v = np.concatenate(k_parts), np.concatenate(v_parts)
    n, d = q.shape
    out = np.empty((n, v.shape[1]))
    for i in range(n):
        s = k[: i + 1] @ q[i] / np.sqrt(d) if causal else k @ q[i] / np.sqrt(d)
        w = np.exp(s - s.max())
        out[i] = w @ v[: len(s)] / w.sum()
    return out
