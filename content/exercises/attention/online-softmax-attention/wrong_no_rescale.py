# expect: WA
"""Plausible bug for online-softmax-attention: updates the running max but never rescales the old sum and accumulator."""

import numpy as np


def online_softmax_attention(q, k, v, block, causal):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    n, d = q.shape
    b = int(block)
    row_max, row_sum, acc = np.full(n, -np.inf), np.zeros(n), np.zeros((n, v.shape[1]))
    rows = np.arange(n)[:, None]
    for start in range(0, n, b):
        end = min(start + b, n)
        scores = q @ k[start:end].T / np.sqrt(d)
        if causal:
            scores[np.arange(start, end)[None, :] > rows] = -np.inf
        row_max = np.maximum(row_max, scores.max(axis=1))
        probs = np.exp(scores - row_max[:, None])
        row_sum = row_sum + probs.sum(axis=1)
        acc = acc + probs @ v[start:end]
    return acc / row_sum[:, None]
