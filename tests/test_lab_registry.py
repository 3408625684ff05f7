"""labs.registry is the site's one description of each lab: it names exactly the contract's labs, and each entry
is complete enough for every page that reads it (catalogue, form, job page, dashboard, skill page)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import labcontract
from labs import registry
from tests.support import lab_result

RESULTS = Path(__file__).parent / "data" / "lab_results"


def test_the_registry_and_the_contract_name_the_same_labs():
    assert list(registry.LABS) == list(labcontract.LABS)


def test_each_lab_is_three_modules_named_after_it_and_no_generic_module_names_a_lab():
    """A lab is its contract (labcontract/labs/<m>.py), its measurement (gpu_runner/labs/<m>[.py]) and its page
    (labs/kinds/<m>.py): the three sides list the same labs, and the code around them never branches on one."""
    import importlib
    import pkgutil
    import re

    import gpu_runner.labs
    import labcontract.labs
    import labs.kinds

    def modules(package, skip=()):
        return {m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")} - set(skip)

    expected = {labcontract.SPECS[slug].module for slug in labcontract.LABS}
    assert modules(labcontract.labs, skip={"spec"}) == expected
    assert modules(labs.kinds) == expected
    assert expected <= modules(gpu_runner.labs)
    for module in expected:
        assert callable(importlib.import_module(f"gpu_runner.labs.{module}").run), module
    root = Path(__file__).resolve().parent.parent
    generic = [p for d in ("labcontract", "gpu_runner", "labs") for p in (root / d).rglob("*.py")
               if not any(part in expected for part in (p.stem, p.parent.name)) and "migrations" not in p.parts]
    offenders = [f"{p.relative_to(root)}:{n}" for p in generic for n, line in
                 enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if re.search(r"\blab\s*==", line)]
    assert offenders == []


@pytest.mark.parametrize("slug", list(labcontract.LABS))
def test_each_entry_runs_on_contract_queues_and_evidences_known_skills(slug):
    lab = registry.LABS[slug]
    assert lab.queues and set(lab.queues) <= set(labcontract.QUEUES)
    assert all(q in registry.QUEUE_NEEDS for q in lab.queues)
    assert lab.skills and str(lab.title) and str(lab.subtitle)


@pytest.mark.django_db
def test_every_skill_a_lab_evidences_exists_in_the_plan(plan_content):
    from tracker.models import Skill

    known = set(Skill.objects.values_list("slug", flat=True))
    assert {s for lab in registry.LABS.values() for s in lab.skills} <= known


@pytest.mark.parametrize("path", sorted(RESULTS.glob("*.json")), ids=lambda p: p.stem)
def test_a_real_result_summarises_with_its_headline_and_evidence(path):
    slug = next(s for s in labcontract.LABS if path.stem.startswith(s))
    result = json.loads(path.read_text())
    view = registry.summary(slug, result)
    assert view["known"] and isinstance(view["headline"], list)
    for figure in view["headline"]:
        assert isinstance(figure["value"], (int, float)) and figure["unit"]
    assert {f["label"] for f in view["headline"]} == set(registry.headline(slug, result))


def test_an_unknown_lab_is_summarised_as_raw_json_not_an_error():
    view = registry.summary("from-a-newer-site", {"x": 1})
    assert view["known"] is False and '"x": 1' in view["raw"]
    assert registry.title("from-a-newer-site") == "from-a-newer-site" and registry.headline("nope", {}) == {}


@pytest.mark.django_db
@pytest.mark.parametrize("slug", list(labcontract.LABS))
def test_a_succeeded_job_of_every_lab_counts_as_evidence_for_its_skills(slug, plan_content, make_user):
    from evidence.skills import skill_levels
    from labs.models import LabJob

    user = make_user(f"evidence-{slug}")
    before = {lvl.skill.slug: lvl for lvl in skill_levels(user)}
    LabJob.objects.create(user=user, lab=slug, queue="lab.cpu", status=LabJob.Status.FAILED, result=None)
    assert all(slug not in lvl.labs_done for lvl in skill_levels(user))  # a failed job proves nothing
    # A succeeded job that measured nothing is no evidence either (issue 18: the /etc/passwd job).
    LabJob.objects.create(user=user, lab=slug, queue="lab.cpu", status=LabJob.Status.SUCCEEDED, result={})
    assert all(slug not in lvl.labs_done for lvl in skill_levels(user))
    recorded = {"cpp-tokenizer": "cpp-tokenizer-ok", "kernels": "kernels-gemm-blocked"}.get(slug, slug)
    LabJob.objects.create(user=user, lab=slug, queue="lab.cpu", status=LabJob.Status.SUCCEEDED,
                          result=lab_result(recorded))
    after = {lvl.skill.slug: lvl for lvl in skill_levels(user)}
    for skill in registry.LABS[slug].skills:
        assert after[skill].labs_done == [slug] and after[skill].earned > before[skill].earned


def test_a_precision_that_quantized_only_part_of_the_weights_says_so_in_its_headline():
    result = {"precisions": [
        {"precision": "bf16", "status": "ok", "decode_tokens_per_s": 40.0, "quantized_weight_share": 0.0},
        {"precision": "int4", "status": "ok", "decode_tokens_per_s": 41.0, "quantized_weight_share": 0.2},
        {"precision": "int8-wo", "status": "ok", "decode_tokens_per_s": 30.0, "quantized_weight_share": 1.0},
        {"precision": "int8", "status": "ok", "decode_tokens_per_s": 20.0}]}  # recorded before the share existed
    assert registry.headline("quant-inference", result) == {
        "bf16": (40.0, "tok/s"), "int4 (20% quantized)": (41.0, "tok/s"), "int8-wo": (30.0, "tok/s"),
        "int8": (20.0, "tok/s")}
