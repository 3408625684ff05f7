"""Reference for online-softmax-attention: FlashAttention-style tiled forward pass, O(n·B) memory."""

import numpy as np


def online_softmax_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, block: int, causal: bool) -> np.ndarray:
    """Stream K/V in blocks of `block` keys, keeping a running row max m, row sum l and accumulator."""
    q = np.asarray(q, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    n, d = q.shape
    b = int(block)
    scale = 1.0 / np.sqrt(d)
    row_max = np.full(n, -np.inf)
    row_sum = np.zeros(n)
    acc = np.zeros((n, v.shape[1]))
    rows = np.arange(n)[:, None]
    for start in range(0, n, b):
        end = min(start + b, n)
        scores = q @ k[start:end].T * scale  # n×B tile: the only score memory ever held
        if causal:
            scores[np.arange(start, end)[None, :] > rows] = -np.inf
        new_max = np.maximum(row_max, scores.max(axis=1))
        # Key 0 is in the first tile and visible to every query, so new_max is finite from then on.
        correction = np.exp(row_max - new_max)
        probs = np.exp(scores - new_max[:, None])
        row_sum = row_sum * correction + probs.sum(axis=1)
        acc = acc * correction[:, None] + probs @ v[start:end]
        row_max = new_max
    return acc / row_sum[:, None]
