# expect: WA
"""Plausible bug for paged-kv-gather: copies whole blocks, including the unused tail of the last block."""

import numpy as np


def paged_kv_gather(pool, block_tables, seq_lens):
    pool = np.asarray(pool, dtype=np.float64)
    tables = np.asarray(block_tables).astype(np.int64)
    block_size = pool.shape[1]
    parts = [np.zeros((0, pool.shape[2]))]
    for s, length in enumerate(np.asarray(seq_lens).astype(np.int64).reshape(-1)):
        blocks = tables[s, :(length + block_size - 1) // block_size]
        parts.append(pool[blocks].reshape(-1, pool.shape[2]))
    return np.concatenate(parts)
