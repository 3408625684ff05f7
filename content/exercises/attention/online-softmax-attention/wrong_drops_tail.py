# expect: WA
"""Plausible bug for online-softmax-attention: assumes every block has the first block's size and stops at a
shorter one, so the keys of a short last block are lost."""

import numpy as np


def online_softmax_attention(q, kv_blocks, causal):
    q = np.asarray(q, dtype=np.float64)
    n, d = q.shape
    row_max, row_sum, acc = np.full(n, -np.inf), np.zeros(n), 0.0
    rows = np.arange(n)[:, None]
    start, size = 0, None
    for k_block, v_block in kv_blocks:
        size = size or len(k_block)
        if len(k_block) < size:
            break
        end = start + size
        scores = q @ k_block.T / np.sqrt(d)
        if causal:
            scores[np.arange(start, end)[None, :] > rows] = -np.inf
        new_max = np.maximum(row_max, scores.max(axis=1))
        correction = np.exp(row_max - new_max)
        probs = np.exp(scores - new_max[:, None])
        row_sum = row_sum * correction + probs.sum(axis=1)
        acc = acc * correction[:, None] + probs @ v_block
        row_max, start = new_max, end
    return acc / row_sum[:, None]
