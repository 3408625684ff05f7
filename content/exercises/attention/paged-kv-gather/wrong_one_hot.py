# expect: COMPLEXITY
"""Numerically right but O(n²) memory: gathers with a one-hot [tokens × pool slots] matrix product."""

import numpy as np


def paged_kv_gather(pool, block_tables, seq_lens):
    pool = np.asarray(pool, dtype=np.float64)
    tables = np.asarray(block_tables).astype(np.int64)
    block_size, d = pool.shape[1], pool.shape[2]
    slots = []
    for s, length in enumerate(np.asarray(seq_lens).astype(np.int64).reshape(-1)):
        t = np.arange(length)
        slots.append(tables[s, t // block_size] * block_size + t % block_size)
    slots = np.concatenate(slots)
    select = np.zeros((len(slots), pool.shape[0] * block_size))
    select[np.arange(len(slots)), slots] = 1.0
    return select @ pool.reshape(-1, d)
