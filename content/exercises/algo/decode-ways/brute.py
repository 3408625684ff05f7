"""Brute force for decode-ways: tries every way of cutting the string into pieces (short strings only)."""

from itertools import product

CODES = {str(k) for k in range(1, 27)}


def num_decodings(digits: str) -> int:
    """Count cuttings whose every piece is one of "1".."26"."""
    n = len(digits)
    count = 0
    for cuts in product([False, True], repeat=n - 1):
        pieces, start = [], 0
        for pos, cut in enumerate(cuts, 1):
            if cut:
                pieces.append(digits[start:pos])
                start = pos
        pieces.append(digits[start:])
        if all(p in CODES for p in pieces):
            count += 1
    return count % 1_000_000_007
