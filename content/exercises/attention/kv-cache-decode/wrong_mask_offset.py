# expect: WA
"""Plausible bug for kv-cache-decode: aligns the causal mask to the top-left, forgetting the prompt offset p."""

import numpy as np


def kv_cache_decode(k_cache, v_cache, q, k, v):
    k_cache, v_cache, q, k, v = (np.asarray(a, dtype=np.float64) for a in (k_cache, v_cache, q, k, v))
    keys, values = np.vstack([k_cache, k]), np.vstack([v_cache, v])
    out = np.empty((q.shape[0], values.shape[1]))
    for t in range(q.shape[0]):
        scores = keys[:t + 1] @ q[t] / np.sqrt(q.shape[1])
        weights = np.exp(scores - scores.max())
        out[t] = weights @ values[:t + 1] / weights.sum()
    return out
