"""Brute force for ntk-rope: complex-number rotation per (c, c + d/2) pair with the stretched base."""

import cmath


def ntk_rope(x, offset, alpha) -> list[list[float]]:
    """Element-by-element complex form of NTK-scaled rotary embedding."""
    x = [[float(a) for a in row] for row in x]
    d = len(x[0])
    half = d // 2
    base = 10000.0 * float(alpha) ** (d / (d - 2))
    out = []
    for i, row in enumerate(x):
        pos = int(offset) + i
        first, second = [], []
        for c in range(half):
            z = complex(row[c], row[c + half]) * cmath.exp(1j * pos * base ** (-2 * c / d))
            first.append(z.real)
            second.append(z.imag)
        out.append(first + second)
    return out
