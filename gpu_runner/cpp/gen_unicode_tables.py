"""Generate unicode_tables.h for qwen_tokenizer.cpp: \\p{L}/\\p{N}/\\s classes and NFC data.

Run: python gen_unicode_tables.py [--out unicode_tables.h]. The output is deterministic for a
given Python (unicodedata) and tiktoken version; the versions used are written into the header.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

MAX_CP = 0x110000
BLOCK = 256

FLAG_L = 1
FLAG_N = 2
FLAG_WS = 4
# Set when a code point is not a safe NFC segment start (ccc != 0 or NFC_QC != Yes), so the
# C++ fast path copies text verbatim until it meets one of these.
FLAG_NFC_CHECK = 8

# Rust regex's \s is the Unicode White_Space property, which unicodedata does not expose.
# It has not changed since Unicode 6.x; note it differs from str.isspace() (\x1c-\x1f).
WHITE_SPACE = [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
               0x2028, 0x2029, 0x202F, 0x205F, 0x3000]

HANGUL_V = range(0x1161, 0x1176)
HANGUL_T = range(0x11A8, 0x11C3)


def _scalar_values() -> list[int]:
    return [c for c in range(MAX_CP) if not 0xD800 <= c <= 0xDFFF]


def classes_from_unicodedata() -> tuple[set[int], set[int], set[int]]:
    """\\p{L}, \\p{N} and \\s as this Python's Unicode database defines them."""
    letters, numbers = set(), set()
    for c in range(MAX_CP):
        cat = unicodedata.category(chr(c))
        if cat[0] == "L":
            letters.add(c)
        elif cat[0] == "N":
            numbers.add(c)
    return letters, numbers, set(WHITE_SPACE)


def classes_from_tiktoken() -> tuple[set[int], set[int], set[int], str] | None:
    """Ask tiktoken's own regex engine which code points each class matches.

    tiktoken's encode drops text its pattern does not match, so encoding every code point with
    the pattern r"\\p{L}" over a byte-only vocabulary returns exactly the UTF-8 of the letters.
    This pins the tables to the Unicode version compiled into tiktoken's Rust regex crate,
    which is newer than Python's unicodedata; the reference the check uses is that engine.
    """
    try:
        import tiktoken
    except ImportError:
        return None
    ranks = {bytes([i]): i for i in range(256)}
    text = "".join(map(chr, _scalar_values()))

    def members(pattern: str) -> set[int]:
        enc = tiktoken.Encoding("probe", pat_str=pattern, mergeable_ranks=ranks, special_tokens={})
        return set(map(ord, bytes(enc.encode_ordinary(text)).decode("utf-8")))

    # The contraction alternative is case-insensitive; Unicode simple case folding adds
    # U+017F (long s) to 's'. qwen_tokenizer.cpp hard-codes that, so verify it here.
    for letter, expected in {"s": {0x53, 0x73, 0x17F}, "t": {0x54, 0x74}, "r": {0x52, 0x72},
                             "v": {0x56, 0x76}, "e": {0x45, 0x65}, "m": {0x4D, 0x6D},
                             "l": {0x4C, 0x6C}, "d": {0x44, 0x64}}.items():
        got = members(f"(?i:{letter})")
        if got != expected:
            sys.exit(f"case folding of {letter!r} in tiktoken's regex is {sorted(map(hex, got))}; "
                     "update the contraction matcher in qwen_tokenizer.h")
    return members(r"\p{L}"), members(r"\p{N}"), members(r"\s"), tiktoken.__version__


def nfc_data() -> tuple[dict[int, int], dict[int, list[int]], dict[tuple[int, int], int], set[int]]:
    """Canonical combining classes, full canonical decompositions, primary composites, NFC check set."""
    ccc: dict[int, int] = {}
    decomp: dict[int, list[int]] = {}
    compose: dict[tuple[int, int], int] = {}
    for c in _scalar_values():
        ch = chr(c)
        if unicodedata.combining(ch):
            ccc[c] = unicodedata.combining(ch)
        if 0xAC00 <= c <= 0xD7A3:
            continue  # Hangul syllables are algorithmic in the C++ code
        full = unicodedata.normalize("NFD", ch)
        if full != ch:
            decomp[c] = [ord(x) for x in full]
        raw = unicodedata.decomposition(ch)
        if raw and not raw.startswith("<"):
            parts = [int(x, 16) for x in raw.split()]
            # A primary composite is a two-part canonical decomposition that NFC keeps:
            # this excludes composition exclusions and non-starter decompositions.
            if len(parts) == 2 and unicodedata.normalize("NFC", ch) == ch:
                compose[(parts[0], parts[1])] = c
    seconds = {b for (_, b) in compose} | set(HANGUL_V) | set(HANGUL_T)
    needs_check = set(ccc)
    for c in _scalar_values():
        if c in seconds or unicodedata.normalize("NFC", chr(c)) != chr(c):
            needs_check.add(c)
    return ccc, decomp, compose, needs_check


def two_stage(values: list[int], name: str) -> str:
    """Emit a deduplicated two-stage lookup table: stage1[cp >> 8] picks a 256-entry block."""
    blocks: dict[tuple[int, ...], int] = {}
    stage1 = []
    for start in range(0, MAX_CP, BLOCK):
        block = tuple(values[start:start + BLOCK])
        stage1.append(blocks.setdefault(block, len(blocks)))
    out = [f"static const uint16_t {name}_stage1[{len(stage1)}] = {{"]
    out += _wrap(stage1)
    out.append("};")
    flat = [v for block in blocks for v in block]
    out.append(f"static const uint8_t {name}_stage2[{len(flat)}] = {{")
    out += _wrap(flat)
    out.append("};")
    return "\n".join(out)


def _wrap(numbers: list[int], per_line: int = 24) -> list[str]:
    return ["  " + ",".join(str(n) for n in numbers[i:i + per_line]) + "," for i in range(0, len(numbers), per_line)]


def render() -> str:
    """Build the whole header text."""
    py_l, py_n, py_s = classes_from_unicodedata()
    probed = classes_from_tiktoken()
    if probed is None:
        letters, numbers, spaces, tk_version = py_l, py_n, py_s, "not installed (unicodedata only)"
    else:
        letters, numbers, spaces, tk_version = probed
    ccc, decomp, compose, needs_check = nfc_data()

    flags = [0] * MAX_CP
    for c in letters:
        flags[c] |= FLAG_L
    for c in numbers:
        flags[c] |= FLAG_N
    for c in spaces:
        flags[c] |= FLAG_WS
    for c in needs_check:
        flags[c] |= FLAG_NFC_CHECK
    ccc_values = [ccc.get(c, 0) for c in range(MAX_CP)]

    pool: list[int] = []
    entries = []
    for c in sorted(decomp):
        entries.append(f"{{0x{c:X},{len(pool)},{len(decomp[c])}}}")
        pool += decomp[c]
    pairs = sorted(compose.items())

    lines = [
        "// Generated by gen_unicode_tables.py; do not edit by hand.",
        f"// Character classes: tiktoken {tk_version} regex probe; Python unicodedata {unicodedata.unidata_version}.",
        (f"// \\p{{L}}: {len(letters)} code points ({len(letters - py_l)} more than unicodedata, "
        f"{len(py_l - letters)} fewer); \\p{{N}}: {len(numbers)} ({len(numbers - py_n)} more, "
        f"{len(py_n - numbers)} fewer); \\s: {len(spaces)}."),
        f"// NFC data: Python unicodedata {unicodedata.unidata_version} (what Qwen's normalize call uses).",
        "#pragma once",
        "#include <cstdint>",
        "",
        "namespace qwen_unicode {",
        (f"enum : uint8_t {{ kLetter = {FLAG_L}, kNumber = {FLAG_N}, kSpace = {FLAG_WS}, "
        f"kNfcCheck = {FLAG_NFC_CHECK} }};"),
        two_stage(flags, "kFlags"),
        two_stage(ccc_values, "kCcc"),
        "struct Decomposition { uint32_t cp; uint16_t offset; uint8_t length; };",
        f"static const uint32_t kDecompPool[{len(pool)}] = {{",
        *_wrap(pool),
        "};",
        f"static const Decomposition kDecomp[{len(entries)}] = {{",
        *["  " + ",".join(entries[i:i + 8]) + "," for i in range(0, len(entries), 8)],
        "};",
        "struct Composition { uint64_t key; uint32_t composite; };  // key = first << 21 | second",
        f"static const Composition kCompose[{len(pairs)}] = {{",
        *["  " + ",".join(f"{{0x{(a << 21) | b:X}ULL,0x{c:X}}}" for (a, b), c in pairs[i:i + 6]) + ","
          for i in range(0, len(pairs), 6)],
        "};",
        "}  // namespace qwen_unicode",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("unicode_tables.h"))
    args = parser.parse_args()
    text = render()
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text)} bytes)")
    print("\n".join(line for line in text.splitlines()[:4]))


if __name__ == "__main__":
    main()
