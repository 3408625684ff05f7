"""Reference for gqa-attention: grouped-query causal attention, h query heads sharing g K/V heads."""

import numpy as np


def gqa_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """q [h, n, d], k [g, n, d], v [g, n, dv]; query head j reads K/V head j // (h // g)."""
    q = np.asarray(q, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    h, n, d = q.shape
    group = h // k.shape[0]
    # Same layout as repeat_kv in LLaMA/Qwen2: consecutive query heads share one K/V head.
    k_rep = np.repeat(k, group, axis=0)
    v_rep = np.repeat(v, group, axis=0)
    scores = q @ k_rep.transpose(0, 2, 1) / np.sqrt(d)
    scores[:, np.triu(np.ones((n, n), dtype=bool), k=1)] = -np.inf
    scores -= scores.max(axis=2, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=2, keepdims=True)
    return weights @ v_rep
