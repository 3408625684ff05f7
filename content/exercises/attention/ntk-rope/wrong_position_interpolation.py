# expect: WA
"""Plausible mix-up for ntk-rope: linear position interpolation (pos / alpha) instead of stretching the base."""

import numpy as np


def ntk_rope(x, offset, alpha):
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    half = d // 2
    inv_freq = 10000.0 ** (-np.arange(0, d, 2) / d)
    angles = ((int(offset) + np.arange(n)) / float(alpha))[:, None] * inv_freq[None, :]
    cos, sin = np.cos(angles), np.sin(angles)
    x1, x2 = x[:, :half], x[:, half:]
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=1)
