"""Reference for causal-attention: single-head causal scaled dot-product attention in NumPy."""

import numpy as np


def causal_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """softmax(q·kᵀ/√d + causal mask)·v for q, k [n, d] and v [n, dv]."""
    q = np.asarray(q, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    n, d = q.shape
    scores = q @ k.T / np.sqrt(d)
    scores[np.triu(np.ones((n, n), dtype=bool), k=1)] = -np.inf
    # Subtracting the row max keeps exp() from overflowing on large scores.
    scores -= scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=1, keepdims=True)
    return weights @ v
