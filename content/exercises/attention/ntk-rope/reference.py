"""Reference for ntk-rope: NTK-aware scaled RoPE, base' = base · alpha^(d/(d-2)), rotate_half layout."""

import numpy as np

BASE = 10000.0


def ntk_rope(x: np.ndarray, offset: int, alpha: float) -> np.ndarray:
    """RoPE with the base stretched by alpha^(d/(d-2)), as in Qwen-1's dynamic NTK interpolation."""
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    half = d // 2
    base = BASE * float(alpha) ** (d / (d - 2))
    inv_freq = base ** (-np.arange(0, d, 2) / d)
    angles = (int(offset) + np.arange(n))[:, None] * inv_freq[None, :]
    cos, sin = np.cos(angles), np.sin(angles)
    x1, x2 = x[:, :half], x[:, half:]
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=1)
