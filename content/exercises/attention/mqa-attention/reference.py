"""Reference for mqa-attention: multi-query causal attention, h query heads sharing one K/V head."""

import numpy as np


def mqa_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """q [h, n, d] against a single k [n, d], v [n, dv]; causal in every head."""
    q = np.asarray(q, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    _, n, d = q.shape
    scores = q @ k.T / np.sqrt(d)  # broadcasting shares K across heads without copying it h times
    scores[:, np.triu(np.ones((n, n), dtype=bool), k=1)] = -np.inf
    scores -= scores.max(axis=2, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=2, keepdims=True)
    return weights @ v
