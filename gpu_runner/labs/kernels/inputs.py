"""The inputs of every timed run, regenerated outside the sandbox exactly as the harness made them inside
(driver.cpp and driver_cuda.cu): a counter-based splitmix64, so any element is a pure function of the run's
seed and its index, and float32 values that both sides compute bit for bit."""

from __future__ import annotations

import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def value_at(seed: int, index: np.ndarray | int) -> np.ndarray:
    """splitmix64(seed + (index + 1) * golden), wrapping like the C++ uint64_t arithmetic."""
    i = np.asarray(index, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return _mix(np.uint64(seed) + (i + np.uint64(1)) * GOLDEN)


def array_seed(base: int, run: int, which: int) -> int:
    return int(value_at(base, 8 * run + which))


def unit(seed: int, count: int, start: int = 0) -> np.ndarray:
    """float32 in [-1, 1): 2 * ((v >> 40) * 2^-24) - 1, exact in float32."""
    top = (value_at(seed, np.arange(start, start + count, dtype=np.uint64)) >> np.uint64(40)).astype(np.float32)
    return np.float32(2.0) * (top * np.float32(1.0 / 16777216.0)) - np.float32(1.0)


def gemm_inputs(base: int, run: int, m: int, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """A (m x k) and B (k x n), row-major float32."""
    a = unit(array_seed(base, run, 0), m * k).reshape(m, k)
    b = unit(array_seed(base, run, 1), k * n).reshape(k, n)
    return a, b


def gemm_rows(base: int, run: int, rows: np.ndarray, k: int) -> np.ndarray:
    """Only the given rows of A (for a sampled check of a large product)."""
    seed = array_seed(base, run, 0)
    return np.stack([unit(seed, k, int(r) * k) for r in rows]) if len(rows) else np.zeros((0, k), np.float32)


def softmax_input(base: int, run: int, rows: int, cols: int) -> np.ndarray:
    """x[r][c] = 4 u + 100 w_r in float32: rows sit far from zero, so exp without the row max overflows."""
    u = unit(array_seed(base, run, 0), rows * cols).reshape(rows, cols)
    w = unit(array_seed(base, run, 1), rows).reshape(rows, 1)
    return np.float32(4.0) * u + np.float32(100.0) * w
