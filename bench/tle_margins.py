"""How far each too-slow solution is from passing: every `# expect: TLE` wrong solution of content/exercises/ judged
in the real sandbox with a large CPU budget, its CPU seconds over all tests against its exercise's limit.

    python bench/tle_margins.py [--scale 10] [slug ...]

tests/test_exercise_content.py requires TLE at 3x the limit (the verdict then holds on a machine 3x faster);
content/README.md asks for at least 6x here, so that noise on a busy machine never flips it. A solution still
running at --scale times its limit is reported as ">= scale". Also prints the reference's CPU over the same tests.
Needs bubblewrap; no database.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=10.0, help="CPU budget, in multiples of each exercise's limit")
    ap.add_argument("slugs", nargs="*", help="only these exercises")
    args = ap.parse_args()
    import django

    django.setup()
    import yaml

    from tests.test_exercise_content import TLE_MARGIN, WRONG, judge

    print(f"{'exercise':34s} {'solution':30s} {'verdict':7s} {'CPU s':>7s} {'x limit':>8s} {'reference s':>11s}")
    for folder, wrong in WRONG:
        source = wrong.read_text(encoding="utf-8")
        if source.splitlines()[0].split("expect:", 1)[1].split()[0] != "TLE" or (
                args.slugs and folder.name not in args.slugs):
            continue
        limit = yaml.safe_load((folder / "exercise.yaml").read_text(encoding="utf-8"))["limits"]["time_s"]
        verdict = judge(folder, source, cpu_scale=args.scale)
        used = sum(t.time_ms for t in verdict.tests) / 1000
        reference = judge(folder, (folder / "reference.py").read_text(encoding="utf-8"))
        ratio = f">= {args.scale:g}" if verdict.verdict == "TLE" else f"{used / limit:.2f}"
        flag = "  <- under the suite's margin" if verdict.verdict != "TLE" and used / limit < TLE_MARGIN * 2 else ""
        print(f"{folder.name:34s} {wrong.name:30s} {verdict.verdict:7s} {used:7.2f} {ratio:>8s} "
              f"{sum(t.time_ms for t in reference.tests) / 1000:11.3f}{flag}", flush=True)


if __name__ == "__main__":
    main()
