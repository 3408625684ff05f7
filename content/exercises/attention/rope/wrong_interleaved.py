# expect: WA
"""Plausible bug for rope: rotates adjacent pairs (2c, 2c+1), the GPT-J/Meta-original layout, not rotate_half."""

import numpy as np


def rope(x, offset):
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    inv_freq = 10000.0 ** (-np.arange(0, d, 2) / d)
    angles = (int(offset) + np.arange(n))[:, None] * inv_freq[None, :]
    cos, sin = np.cos(angles), np.sin(angles)
    even, odd = x[:, 0::2], x[:, 1::2]
    out = np.empty_like(x)
    out[:, 0::2] = even * cos - odd * sin
    out[:, 1::2] = odd * cos + even * sin
    return out
