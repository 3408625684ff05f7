"""Reference for paged-kv-gather: read each sequence's tokens out of a paged KV block pool, O(total tokens)."""

import numpy as np


def paged_kv_gather(pool: np.ndarray, block_tables: np.ndarray, seq_lens: np.ndarray) -> np.ndarray:
    """Token t of sequence s lives at pool[block_tables[s][t // B], t % B]; concatenate sequences in order."""
    pool = np.asarray(pool, dtype=np.float64)
    # Indices may arrive as float64 arrays (the judge converts JSON lists), so cast before indexing.
    tables = np.asarray(block_tables).astype(np.int64)
    lens = np.asarray(seq_lens).astype(np.int64).reshape(-1)
    block_size, d = pool.shape[1], pool.shape[2]
    out = np.empty((int(lens.sum()), d))
    pos = 0
    for s, length in enumerate(lens):
        t = np.arange(length)
        out[pos:pos + length] = pool[tables[s, t // block_size], t % block_size]
        pos += length
    return out
