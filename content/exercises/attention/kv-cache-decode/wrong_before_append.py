# expect: WA
"""Plausible bug for kv-cache-decode: attends over the cache before appending the current token's k, v."""

import numpy as np


def kv_cache_decode(k_cache, v_cache, q, k, v):
    k_cache, v_cache, q, k, v = (np.asarray(a, dtype=np.float64) for a in (k_cache, v_cache, q, k, v))
    keys, values = list(k_cache), list(v_cache)
    out = np.empty((q.shape[0], v_cache.shape[1]))
    for t in range(q.shape[0]):
        kk, vv = np.array(keys), np.array(values)
        scores = kk @ q[t] / np.sqrt(q.shape[1])
        weights = np.exp(scores - scores.max())
        out[t] = weights @ vv / weights.sum()
        keys.append(k[t])
        values.append(v[t])
    return out
