"""Generate an exercise's hidden tests from its seeded generator and cross-check them.

Usage: python -m content.build_tests content/exercises/algo/<slug> [more folders ...]

For every folder: runs generator.generate(rng, i) for i in range(count) (count: --count if given, else the
generator's COUNT, else 30), computes the expected answer with reference.py, cross-checks reference against
brute.py on generator.small() cases, and writes tests.json. Runs trusted project code only (never learners' code).

Arguments reach reference and brute as JSON values, except a ``{"stream": [...]}`` argument of a
``numpy_args`` exercise: that one goes through the judge harness's own conversion (a one-pass iterator
over reused buffers), so the expected answers come from exactly what a learner's code receives.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import math
import random
import sys
from pathlib import Path
from types import ModuleType

import yaml

SEED = 20260101
DEFAULT_COUNT = 30
SMALL_CHECKS = 200


def load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: cannot import")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def to_json(value):
    """NumPy arrays and tuples become plain JSON lists; floats stay floats."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, tuple):
        return [to_json(v) for v in value]
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value


def call_args(args: list, numpy_args: bool) -> list:
    """The arguments as the entry function sees them: streams become the harness's iterators, the rest stays JSON."""
    if not numpy_args:
        return args
    return [harness()._convert_args([a], True)[0] if isinstance(a, dict) and list(a) == ["stream"] else a
            for a in args]


@functools.cache
def harness() -> ModuleType:
    """The judge's sandbox harness (stdlib + numpy only, so importing it here is harmless)."""
    return load_module(Path(__file__).resolve().parent.parent / "practice" / "judge" / "harness.py", "judge_harness")


def same(a, b, tol: dict | None) -> bool:
    if tol is None:
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, tol) for x, y in zip(a, b, strict=False))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=tol.get("rel", 1e-9), abs_tol=tol.get("abs", 1e-9))
    return a == b


def build(folder: Path, count: int | None = None) -> int:
    meta = yaml.safe_load((folder / "exercise.yaml").read_text(encoding="utf-8"))
    entry = meta["entry"]
    tol = meta.get("tolerance") if meta.get("checker") == "float" else None
    numpy_args = bool(meta.get("numpy_args"))
    gen = load_module(folder / "generator.py", f"gen_{folder.name}")
    if count is None:
        count = getattr(gen, "COUNT", DEFAULT_COUNT)
    ref = getattr(load_module(folder / "reference.py", f"ref_{folder.name}"), entry)
    copy = __import__("copy").deepcopy

    brute_path = folder / "brute.py"
    if brute_path.exists() and hasattr(gen, "small"):
        brute = getattr(load_module(brute_path, f"brute_{folder.name}"), entry)
        rng = random.Random(SEED + 1)
        for i in range(SMALL_CHECKS):
            args = gen.small(rng, i)
            want = to_json(brute(*call_args(copy(args), numpy_args)))
            got = to_json(ref(*call_args(copy(args), numpy_args)))
            if not same(got, want, tol):
                raise SystemExit(f"{folder}: reference disagrees with brute on small case {i}: "
                                 f"args={args!r} brute={want!r} reference={got!r}")

    rng = random.Random(SEED)
    tests = []
    for i in range(count):
        args = to_json(gen.generate(rng, i))
        tests.append({"args": args, "expected": to_json(ref(*call_args(copy(args), numpy_args)))})
    out = {"seed": SEED, "count": count, "tests": tests}
    (folder / "tests.json").write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n",
                                       encoding="utf-8")
    return len(tests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--count", type=int, default=None,
                        help=f"tests per folder (default: the generator's COUNT, else {DEFAULT_COUNT})")
    args = parser.parse_args(argv)
    for folder in args.folders:
        n = build(folder, args.count)
        print(f"{folder}: {n} tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
