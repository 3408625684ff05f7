"""Brute force for rope: treat each (c, c + d/2) pair as a complex number and multiply by e^(i·angle)."""

import cmath


def rope(x, offset) -> list[list[float]]:
    """Complex-number form of the half-split rotary embedding, one element at a time."""
    x = [[float(a) for a in row] for row in x]
    d = len(x[0])
    half = d // 2
    out = []
    for i, row in enumerate(x):
        pos = int(offset) + i
        first, second = [], []
        for c in range(half):
            z = complex(row[c], row[c + half]) * cmath.exp(1j * pos * 10000.0 ** (-2 * c / d))
            first.append(z.real)
            second.append(z.imag)
        out.append(first + second)
    return out
