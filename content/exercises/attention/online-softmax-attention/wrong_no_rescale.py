# expect: WA
"""Plausible bug for online-softmax-attention: updates the running max but never rescales the old sum and
accumulator, which were computed against the previous max."""

import numpy as np


def online_softmax_attention(q, kv_blocks, causal):
    q = np.asarray(q, dtype=np.float64)
    n, d = q.shape
    row_max, row_sum, acc = np.full(n, -np.inf), np.zeros(n), 0.0
    rows = np.arange(n)[:, None]
    start = 0
    for k_block, v_block in kv_blocks:
        end = start + len(k_block)
        scores = q @ k_block.T / np.sqrt(d)
        if causal:
            scores[np.arange(start, end)[None, :] > rows] = -np.inf
        row_max = np.maximum(row_max, scores.max(axis=1))
        probs = np.exp(scores - row_max[:, None])
        row_sum = row_sum + probs.sum(axis=1)
        acc = acc + probs @ v_block
        start = end
    return acc / row_sum[:, None]
