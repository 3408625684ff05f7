# expect: WA
"""Plausible bug for online-softmax-attention: only whole blocks are processed, the short last block is lost."""

import numpy as np


def online_softmax_attention(q, k, v, block, causal):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    n, d = q.shape
    b = min(int(block), n)
    row_max, row_sum, acc = np.full(n, -np.inf), np.zeros(n), np.zeros((n, v.shape[1]))
    rows = np.arange(n)[:, None]
    for start in range(0, n - b + 1, b):
        end = start + b
        scores = q @ k[start:end].T / np.sqrt(d)
        if causal:
            scores[np.arange(start, end)[None, :] > rows] = -np.inf
        new_max = np.maximum(row_max, scores.max(axis=1))
        correction = np.exp(row_max - new_max)
        probs = np.exp(scores - new_max[:, None])
        row_sum = row_sum * correction + probs.sum(axis=1)
        acc = acc * correction[:, None] + probs @ v[start:end]
        row_max = new_max
    return acc / row_sum[:, None]
