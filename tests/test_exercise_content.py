"""Every exercise's reference solution passes in the real sandbox; every known-wrong solution fails as labelled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from practice.judge import grade, run_submission
from practice.judge.checkers import load_checker
from sandbox import Limits

EXERCISES = Path(__file__).resolve().parent.parent / "content" / "exercises"
CODE_FOLDERS = sorted(p.parent for p in EXERCISES.glob("*/*/exercise.yaml")
                      if yaml.safe_load(p.read_text(encoding="utf-8"))["kind"] != "numeric")
WRONG = [(folder, wrong) for folder in CODE_FOLDERS for wrong in sorted(folder.glob("wrong_*.py"))]


# A solution labelled TLE is judged with this many times its exercise's CPU limit and must still run out: the verdict
# then holds on a machine this many times faster than the one running the suite (the limit is CPU seconds for all
# tests together).
TLE_MARGIN = 3


def judge(folder: Path, source: str, cpu_scale: float = 1.0):
    meta = yaml.safe_load((folder / "exercise.yaml").read_text(encoding="utf-8"))
    hidden = json.loads((folder / "tests.json").read_text(encoding="utf-8"))["tests"]
    cases = meta["examples"] + hidden
    complexity = meta.get("complexity")
    complexity_args = None
    if complexity:
        import random

        from practice.content import SEED, _module

        sized = _module(folder / "generator.py", f"gen_{folder.name.replace('-', '_')}").sized
        rng = random.Random(SEED + 7)
        complexity_args = [sized(rng, n) for n in complexity["sizes"]]
    cpu_s = meta["limits"]["time_s"] * cpu_scale
    limits = Limits(cpu_s=cpu_s, wall_s=cpu_s * 3 + 5,
                    memory_mb=meta["limits"]["memory_mb"])
    report = run_submission(source, entry=meta["entry"], tests=[c["args"] for c in cases], limits=limits,
                            numpy_args=meta.get("numpy_args", False), complexity=complexity,
                            complexity_args=complexity_args)
    custom = load_checker(folder / "checker.py") if meta["checker"] == "custom" else None
    return grade(report, expected=[c["expected"] for c in cases], checker=meta["checker"],
                 tolerance=meta.get("tolerance"), custom_check=custom,
                 kinds=["example"] * len(meta["examples"]) + ["hidden"] * len(hidden))


def test_there_are_enough_exercises_of_each_kind():
    kinds = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in EXERCISES.glob("*/*/exercise.yaml")]
    algorithms = [k for k in kinds if k["kind"] == "algorithm"]
    attention = [k for k in kinds if k["kind"] in ("attention", "numeric")]
    assert len(algorithms) >= 32 and len(attention) >= 12
    for folder in EXERCISES.glob("algo/*"):
        tests = json.loads((folder / "tests.json").read_text(encoding="utf-8"))["tests"]
        assert len(tests) >= 25, folder.name
        assert list(folder.glob("wrong_*.py")), f"{folder.name} has no known-wrong solution"


def test_every_wrong_solution_names_a_verdict_it_can_get():
    for _, wrong in WRONG:
        first = wrong.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# expect: "), f"{wrong}: first line must be '# expect: <verdict>'"
        assert first.split("expect:", 1)[1].split()[0] in ("WA", "TLE", "MLE", "RE", "COMPLEXITY"), wrong


def test_the_bitmask_dp_exercises_have_a_failing_greedy_and_an_exponential_brute_force():
    for slug in ("shortest-inspection-tour", "min-gpu-sessions"):
        folder = EXERCISES / "algo" / slug
        verdicts = {w.read_text(encoding="utf-8").split()[2] for w in folder.glob("wrong_*.py")}
        assert {"WA", "TLE"} <= verdicts, slug
        assert (folder / "brute.py").exists() and (folder / "generator.py").exists()


def test_target_sum_has_a_fixed_test_below_minus_the_sum():
    """The bug a learner found: a solution checking only target > sum was accepted."""
    tests = json.loads((EXERCISES / "algo" / "target-sum-ways" / "tests.json").read_text(encoding="utf-8"))["tests"]
    below = [t for t in tests if t["args"][1] < -sum(t["args"][0])]
    assert below and all(t["expected"] == 0 for t in below)


def test_a_stream_argument_is_one_pass_read_only_and_reuses_its_buffer():
    """online-softmax-attention's K/V blocks: what the harness hands the learner's function."""
    from practice.judge import harness

    k1, v1, k2, v2 = [[1.0], [2.0]], [[3.0], [4.0]], [[5.0]], [[6.0]]
    (stream,) = harness._convert_args([{"stream": [[k1, v1], [k2, v2]]}], True)
    first_k, first_v = next(stream)
    assert first_k.tolist() == k1 and first_v.tolist() == v1
    with pytest.raises(ValueError):
        first_k[0, 0] = 9.0  # read-only
    second_k, _ = next(stream)
    assert second_k.tolist() == k2
    assert first_k.tolist() == [[5.0], [2.0]], "the next block overwrites the buffer the first one lived in"
    assert list(stream) == []


@pytest.mark.slow
@pytest.mark.parametrize("folder", CODE_FOLDERS, ids=lambda p: p.name)
def test_reference_solution_is_accepted(folder):
    verdict = judge(folder, (folder / "reference.py").read_text(encoding="utf-8"))
    assert verdict.verdict == "AC", f"{folder.name}: {verdict.verdict} {verdict.message}"
    assert verdict.score == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("folder, wrong", WRONG, ids=lambda p: p.name if isinstance(p, Path) else "")
def test_known_wrong_solution_fails_with_its_verdict(folder, wrong):
    source = wrong.read_text(encoding="utf-8")
    expect = source.splitlines()[0].split("expect:", 1)[1].strip().split()[0]
    verdict = judge(folder, source, cpu_scale=TLE_MARGIN if expect == "TLE" else 1.0)
    assert verdict.verdict != "AC", f"{folder.name}/{wrong.name} was accepted"
    if expect == "COMPLEXITY":
        # Numerically right but materialises n×n: every test passes, the growth check fails.
        assert verdict.passed == verdict.total and verdict.complexity_exponent is not None
        assert verdict.complexity_exponent > yaml.safe_load((folder / "exercise.yaml").read_text())["complexity"][
            "max_exponent"]
    elif expect == "TLE":
        limit = yaml.safe_load((folder / "exercise.yaml").read_text(encoding="utf-8"))["limits"]["time_s"]
        used = sum(t.time_ms for t in verdict.tests) / 1000
        assert verdict.verdict == "TLE", (
            f"{folder.name}/{wrong.name} finished within {TLE_MARGIN}x its CPU limit ({verdict.verdict} after "
            f"{used:.2f} s of CPU, {used / limit:.1f}x its {limit} s): on a machine {TLE_MARGIN}x faster it would not "
            f"get TLE; make the largest tests more adversarial (content/README.md; bench/tle_margins.py measures "
            f"each margin)")
    else:
        assert verdict.verdict == expect, f"{folder.name}/{wrong.name}: {verdict.verdict} {verdict.message}"
