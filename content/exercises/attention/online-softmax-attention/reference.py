"""Reference for online-softmax-attention: FlashAttention-style online softmax over a one-pass stream of K/V blocks.

Memory is O(n_q·(B + d_v)) whatever the number of keys: one score tile plus the running max, sum and accumulator.
"""

from collections.abc import Iterable

import numpy as np


def online_softmax_attention(q: np.ndarray, kv_blocks: Iterable, causal: bool) -> np.ndarray:
    """Consume (K_block, V_block) pairs once each, keeping a running row max m, row sum l and accumulator."""
    q = np.asarray(q, dtype=np.float64)
    n, d = q.shape
    scale = 1.0 / np.sqrt(d)
    row_max = np.full(n, -np.inf)
    row_sum = np.zeros(n)
    acc = None
    rows = np.arange(n)[:, None]
    start = 0  # absolute position of the block's first key
    for k_block, v_block in kv_blocks:
        k_block = np.asarray(k_block, dtype=np.float64)
        v_block = np.asarray(v_block, dtype=np.float64)
        end = start + len(k_block)
        scores = q @ k_block.T * scale  # n×B tile: the only score memory ever held
        if causal:
            scores[np.arange(start, end)[None, :] > rows] = -np.inf
        new_max = np.maximum(row_max, scores.max(axis=1))
        # Key 0 is in the first block and visible to every query, so new_max is finite from then on.
        correction = np.exp(row_max - new_max)
        probs = np.exp(scores - new_max[:, None])
        row_sum = row_sum * correction + probs.sum(axis=1)
        contribution = probs @ v_block  # used now: the block's buffer is reused for the next one
        acc = contribution if acc is None else acc * correction[:, None] + contribution
        row_max = new_max
        start = end
    return acc / row_sum[:, None]
