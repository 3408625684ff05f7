"""Test generator for paged-kv-gather: partial and exact blocks, empty sequences, shuffled free lists."""

import random


def _layout(rng: random.Random, lens: list[int], block_size: int, d: int, spare: int) -> list:
    """A pool with blocks handed out in random order, tables padded with -1 like vLLM's block tables."""
    need = [(length + block_size - 1) // block_size for length in lens]
    num_blocks = max(1, sum(need) + spare)  # the pool always has at least one block
    free = list(range(num_blocks))
    rng.shuffle(free)
    width = max(need + [1])
    tables = []
    for count in need:
        row = [free.pop() for _ in range(count)]
        tables.append(row + [-1] * (width - count))
    pool = [[[round(rng.gauss(0.0, 1.0), 6) for _ in range(d)] for _ in range(block_size)]
            for _ in range(num_blocks)]
    return [pool, tables, lens]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        ([1], 1, 1, 0),
        ([3], 4, 2, 1),           # one partial block
        ([4], 4, 2, 2),           # exactly one full block
        ([5, 2], 2, 2, 1),        # several blocks, last one partial
        ([0, 3, 0], 2, 1, 2),     # empty sequences own no blocks
        ([6, 6, 6], 3, 2, 3),
        ([1, 1, 1, 1], 1, 3, 4),  # block_size 1: fully scattered
    ]
    if i < len(fixed):
        lens, block_size, d, spare = fixed[i]
        return _layout(rng, list(lens), block_size, d, spare)
    if i >= 22:
        return _layout(rng, [rng.randint(20, 60) for _ in range(4)], 8, 8, 6)
    seqs = rng.randint(1, 5)
    block_size = rng.choice([1, 2, 4, 8])
    return _layout(rng, [rng.randint(0, 30) for _ in range(seqs)], block_size, rng.randint(1, 6), rng.randint(0, 5))


def small(rng: random.Random, i: int) -> list:
    seqs = rng.randint(1, 3)
    return _layout(rng, [rng.randint(0, 9) for _ in range(seqs)], rng.randint(1, 4), rng.randint(1, 3),
                   rng.randint(0, 3))


def sized(rng: random.Random, n: int) -> list:
    # Four sequences sharing n tokens, block size 16, d = 8, a quarter of the pool left free.
    cuts = sorted(rng.sample(range(1, n), 3))
    lens = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    return _layout(rng, lens, 16, 8, n // 64)
