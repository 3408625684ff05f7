"""Reference for kv-cache-decode: token-by-token decoding that appends to a preallocated KV cache."""

import numpy as np


def kv_cache_decode(k_cache: np.ndarray, v_cache: np.ndarray, q: np.ndarray, k: np.ndarray,
                    v: np.ndarray) -> np.ndarray:
    """For each new token t: append k[t], v[t] to the cache, then attend q[t] over everything cached."""
    k_cache = np.asarray(k_cache, dtype=np.float64)
    v_cache = np.asarray(v_cache, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    p, d = k_cache.shape
    m = q.shape[0]
    # One buffer sized for the final length, as inference engines reserve it: no re-copy per step.
    keys = np.empty((p + m, d))
    values = np.empty((p + m, v_cache.shape[1]))
    keys[:p], values[:p] = k_cache, v_cache
    out = np.empty((m, values.shape[1]))
    scale = 1.0 / np.sqrt(d)
    for t in range(m):
        length = p + t + 1
        keys[length - 1], values[length - 1] = k[t], v[t]
        scores = keys[:length] @ q[t] * scale  # O(length) per step
        weights = np.exp(scores - scores.max())
        out[t] = weights @ values[:length] / weights.sum()
    return out
