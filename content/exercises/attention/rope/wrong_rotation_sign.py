# expect: WA
"""Plausible bug for rope: rotate_half written as [x2, -x1], which rotates the wrong way."""

import numpy as np


def rope(x, offset):
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    half = d // 2
    inv_freq = 10000.0 ** (-np.arange(0, d, 2) / d)
    angles = (int(offset) + np.arange(n))[:, None] * inv_freq[None, :]
    cos, sin = np.tile(np.cos(angles), 2), np.tile(np.sin(angles), 2)
    rotated = np.concatenate([x[:, half:], -x[:, :half]], axis=1)
    return x * cos + rotated * sin
