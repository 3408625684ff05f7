# expect: WA
"""Plausible bug for paged-kv-gather: assumes a sequence's blocks are contiguous from its first block."""

import numpy as np


def paged_kv_gather(pool, block_tables, seq_lens):
    pool = np.asarray(pool, dtype=np.float64)
    tables = np.asarray(block_tables).astype(np.int64)
    block_size, d = pool.shape[1], pool.shape[2]
    flat = pool.reshape(-1, d)
    parts = [np.zeros((0, d))]
    for s, length in enumerate(np.asarray(seq_lens).astype(np.int64).reshape(-1)):
        if length:
            start = tables[s, 0] * block_size
            parts.append(flat[start:start + length])
    return np.concatenate(parts)
