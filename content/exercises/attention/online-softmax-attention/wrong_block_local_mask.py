# expect: WA
"""Plausible bug for online-softmax-attention: builds the causal mask from positions inside the block
(0..B-1) instead of the keys' absolute positions, so queries see future keys of later blocks."""

import numpy as np


def online_softmax_attention(q, kv_blocks, causal):
    q = np.asarray(q, dtype=np.float64)
    n, d = q.shape
    row_max, row_sum, acc = np.full(n, -np.inf), np.zeros(n), 0.0
    rows = np.arange(n)[:, None]
    for k_block, v_block in kv_blocks:
        scores = q @ k_block.T / np.sqrt(d)
        if causal:
            scores[np.arange(len(k_block))[None, :] > rows] = -np.inf
        new_max = np.maximum(row_max, scores.max(axis=1))
        correction = np.exp(row_max - new_max)
        probs = np.exp(scores - new_max[:, None])
        row_sum = row_sum * correction + probs.sum(axis=1)
        acc = acc * correction[:, None] + probs @ v_block
        row_max = new_max
    return acc / row_sum[:, None]
