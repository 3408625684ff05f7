"""Test generator for online-softmax-attention: K/V streams cut into blocks of every awkward size, growing maxima.

Each case is [q, {"stream": [[K_block, V_block], ...]}, causal]; the judge turns the stream into a one-pass
iterator. Causal cases have as many keys as queries (query i sees keys 0..i).
"""

import random


def _mat(rng: random.Random, n: int, d: int, scale: float = 1.0, digits: int = 6) -> list[list[float]]:
    return [[round(rng.gauss(0.0, scale), digits) for _ in range(d)] for _ in range(n)]


def _blocks(k: list, v: list, sizes: list[int]) -> dict:
    out, start = [], 0
    for size in sizes:
        out.append([k[start:start + size], v[start:start + size]])
        start += size
    assert start == len(k), "block sizes must cover every key"
    return {"stream": out}


def _even(n: int, block: int) -> list[int]:
    return [min(block, n - s) for s in range(0, n, block)]


def _case(rng: random.Random, nq: int, nk: int, d: int, dv: int, sizes: list[int] | int, causal: bool,
          scale: float = 1.0) -> list:
    q, k, v = _mat(rng, nq, d, scale), _mat(rng, nk, d, scale), _mat(rng, nk, dv)
    return [q, _blocks(k, v, _even(nk, sizes) if isinstance(sizes, int) else sizes), causal]


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        (1, 1, 1, 1, 1, False),
        (1, 1, 2, 2, 4, True),         # one query, one key
        (6, 6, 2, 2, 1, False),        # blocks of 1: one key at a time
        (6, 6, 2, 2, 6, True),         # one block holds everything
        (7, 7, 3, 2, 3, False),        # last block is short
        (7, 7, 3, 2, 3, True),         # causal: whole blocks lie in the future of early queries
        (10, 10, 4, 3, 4, False, 40.0),  # large scores: a bare exp() overflows, the running max must rescale
        (10, 10, 4, 3, 4, True, 40.0),
        (3, 11, 2, 2, [2, 5, 1, 3], False),  # uneven block sizes, more keys than queries
        (9, 4, 3, 3, 2, False),        # fewer keys than queries
        (8, 8, 2, 2, [1, 4, 3], True),  # uneven blocks with a causal mask: positions are absolute, not per block
    ]
    if i < len(fixed):
        return _case(rng, *fixed[i])
    if i == len(fixed):
        # Keys whose scores rise block after block force a rescale of the accumulator at every step.
        n = 12
        q = [[1.0, 0.0] for _ in range(n)]
        k = [[round(0.8 * t, 6), round(rng.gauss(0.0, 1.0), 6)] for t in range(n)]
        return [q, _blocks(k, _mat(rng, n, 2), _even(n, 3)), False]
    if i == len(fixed) + 1:
        # Scores that fall block after block: the first block holds the maximum, later ones must not move it.
        n = 12
        q = [[1.0, 0.0] for _ in range(n)]
        k = [[round(-0.8 * t, 6), round(rng.gauss(0.0, 1.0), 6)] for t in range(n)]
        return [q, _blocks(k, _mat(rng, n, 2), _even(n, 5)), False]
    if i >= 22:
        causal = i % 2 == 0
        nk = 96
        return _case(rng, nk if causal else rng.choice([8, 96]), nk, 8, 8, rng.choice([7, 16, 32]), causal)
    nk = rng.randint(2, 40)
    causal = rng.random() < 0.5
    nq = nk if causal else rng.randint(1, 40)
    return _case(rng, nq, nk, rng.randint(1, 8), rng.randint(1, 6), rng.randint(1, nk + 2), causal,
                 rng.choice([0.5, 1.0, 3.0, 10.0]))


def small(rng: random.Random, i: int) -> list:
    nk = rng.randint(1, 8)
    causal = rng.random() < 0.5
    nq = nk if causal else rng.randint(1, 8)
    sizes: list[int] = []
    while sum(sizes) < nk:
        sizes.append(rng.randint(1, nk - sum(sizes)))
    return _case(rng, nq, nk, rng.randint(1, 3), rng.randint(1, 3), sizes, causal, 20.0 if i % 10 == 0 else 1.0)


def sized(rng: random.Random, n: int) -> list:
    """Complexity input: 16 queries against a stream of n keys in blocks of 32 (d = d_v = 8, not causal)."""
    q, k, v = _mat(rng, 16, 8, digits=3), _mat(rng, n, 8, digits=3), _mat(rng, n, 8, digits=3)
    return [q, _blocks(k, v, _even(n, 32)), False]
