"""Brute force for paged-kv-gather: walk every token of every sequence with plain loops."""


def paged_kv_gather(pool, block_tables, seq_lens) -> list[list[float]]:
    """Logical token t of sequence s -> physical block block_tables[s][t // B], slot t % B."""
    block_size = len(pool[0])
    out = []
    for s, length in enumerate(seq_lens):
        for t in range(int(length)):
            block = int(block_tables[s][t // block_size])
            out.append([float(x) for x in pool[block][t % block_size]])
    return out
