"""Reference for rope: rotary position embedding in the rotate_half (half-split) layout of LLaMA/Qwen."""

import numpy as np

BASE = 10000.0


def rope(x: np.ndarray, offset: int) -> np.ndarray:
    """Row i (position offset + i): dims (c, c + d/2) rotate by angle pos · BASE^(-2c/d)."""
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    half = d // 2
    inv_freq = BASE ** (-np.arange(0, d, 2) / d)
    angles = (int(offset) + np.arange(n))[:, None] * inv_freq[None, :]
    cos, sin = np.cos(angles), np.sin(angles)
    x1, x2 = x[:, :half], x[:, half:]
    # Equals x·cos + rotate_half(x)·sin with rotate_half(x) = [-x2, x1] and cos/sin tiled twice.
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=1)
