# expect: WA
"""Plausible bug for rope: frequency exponent c/d instead of 2c/d, so high dims rotate too fast."""

import numpy as np


def rope(x, offset):
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    half = d // 2
    inv_freq = 10000.0 ** (-np.arange(half) / d)
    angles = (int(offset) + np.arange(n))[:, None] * inv_freq[None, :]
    cos, sin = np.cos(angles), np.sin(angles)
    x1, x2 = x[:, :half], x[:, half:]
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=1)
