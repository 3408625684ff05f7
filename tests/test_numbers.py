"""One rule for numbers wherever they enter (issue 17): a runner API body with an integer of 4,301 digits, a
400-digit RAM size or NaN is a 400 naming the field and stores nothing; lab parameters refuse NaN/Infinity at
the field (the contract and the form); pages that render a number stored before these rules (a 400-digit RAM
size) still answer 200. Hypothesis then throws numbers and shapes at the runner API and the lab forms and finds
no 500. The record import shares the bound (labcontract.INT_LIMIT)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import labcontract
from evidence import transfer
from labs import registry
from labs import services as labs
from labs.models import LabJob, Runner
from tests.support import lab_result, make_lab_job, runner_system_info
from tracker.models import Profile

pytestmark = pytest.mark.django_db

CAPS = {"cpu": {"model": "test", "cores": 2}, "ram_bytes": 1 << 34, "cuda_devices": [], "versions": {},
        "queues": ["lab.cpu"]}
DIGITS_4301 = "1" + "0" * 4300
DIGITS_400 = "1" + "0" * 399


def api(client, path: str, text: str, token: str):
    return client.post(labcontract.API_PREFIX + path, data=text, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def runner(user):
    return Runner.create_with_token(owner=user, name="laptop")


@pytest.fixture
def job(user, runner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        created = labs.job_create(user=user, lab="quant-inference", queue="lab.cpu", params={"precisions": ["fp32"]})
    LabJob.objects.filter(id=created.id).update(target=runner[0])
    created.refresh_from_db()
    return created


# ---- the runner API -----------------------------------------------------------------------------------------


def test_a_4301_digit_integer_in_a_heartbeat_is_a_400_naming_the_field_and_changes_nothing(client, runner):
    obj, token = runner
    text = json.dumps({"capabilities": CAPS}).replace(str(1 << 34), DIGITS_4301)
    response = api(client, "heartbeat", text, token)
    assert response.status_code == 400
    assert response.json()["field"] == "capabilities/ram_bytes"
    assert "4301 digits" in response.json()["error"] and "2**63 - 1" in response.json()["error"]
    obj.refresh_from_db()
    assert obj.last_seen_at is None and not obj.queues


@pytest.mark.parametrize("value, said", [(DIGITS_400, "400 digits"), ("-" + DIGITS_4301, "4301 digits"),
                                         (str(2**63), "19 digits"), ("NaN", "not a finite number"),
                                         ("Infinity", "not a finite number"), ("1e999", "not a finite number")])
def test_a_runners_system_info_with_a_number_no_page_could_show_is_refused_and_the_job_not_started(
        client, runner, job, value, said):
    _, token = runner
    text = '{"attempt": 1, "system_info": {"ram_bytes": RAM, "cpu": {"cores": 8}}}'.replace("RAM", value)
    response = api(client, f"jobs/{job.id}/start", text, token)
    assert response.status_code == 400 and said in response.json()["error"]
    assert response.json()["field"] == "system_info/ram_bytes"
    job.refresh_from_db()
    assert job.status == LabJob.Status.QUEUED and job.system_info == {}


def test_the_largest_integer_stored_is_accepted(client, runner, job):
    _, token = runner
    text = '{"attempt": 1, "system_info": {"ram_bytes": RAM}}'.replace("RAM", str(labcontract.INT_LIMIT))
    assert api(client, f"jobs/{job.id}/start", text, token).status_code == 200
    job.refresh_from_db()
    assert job.system_info == {"ram_bytes": 2**63 - 1}


def test_the_record_import_and_the_runner_api_share_one_bound():
    assert transfer.INT_LIMIT is labcontract.INT_LIMIT
    record = '{"lab_jobs": [{"system_info": {"ram_bytes": RAM}}]}'.replace("RAM", DIGITS_400)
    with pytest.raises(transfer.RecordError, match="lab_jobs/0/system_info/ram_bytes: an integer of 400 digits"):
        transfer.validate_record(transfer.parse_record(record.encode()))


# ---- pages that render a number stored before the rule --------------------------------------------------------


def test_pages_render_a_400_digit_ram_size_stored_before_the_rule(client_a, user):
    huge = int(DIGITS_400)
    info = runner_system_info(ram_bytes=huge, cpu={"model": "x", "cores": huge},
                              cuda_devices=[{"name": "GPU", "memory_bytes": huge, "driver": huge}])
    a = make_lab_job(user, "quant-inference", lab_result("quant-inference"), system_info=info)
    b = make_lab_job(user, "quant-inference", lab_result("quant-inference"))
    job_page = client_a.get(reverse("lab_job", args=[a.pk]))
    assert job_page.status_code == 200 and 'data-testid="system-info"' in job_page.content.decode()
    assert client_a.get(reverse("lab_compare"), {"a": b.pk, "b": a.pk}).status_code == 200
    assert client_a.post(reverse("portfolio_publish")).status_code == 302
    token = Profile.objects.get(user=user).portfolio_token
    public = client_a.get(reverse("portfolio_public", args=[token]))
    assert public.status_code == 200 and 'data-testid="portfolio-system"' in public.content.decode()


# ---- lab parameters ------------------------------------------------------------------------------------------

NAN_PARAMS = [
    ("finetune", {"lr": float("nan")}, "lr"), ("finetune", {"alpha": float("nan")}, "alpha"),
    ("finetune", {"dropout": float("inf")}, "dropout"), ("finetune", {"heldout_fraction": float("nan")},
                                                         "heldout_fraction"),
    ("long-context", {"accuracy_threshold": float("nan")}, "accuracy_threshold"),
    ("long-context", {"passkey_depths": [0.5, float("nan")]}, "passkey_depths/1"),
    ("long-context", {"settings": [{"type": "yarn", "factor": float("nan")}]}, "settings/0/factor"),
]


@pytest.mark.parametrize("lab, params, field", NAN_PARAMS)
def test_the_contract_refuses_nan_in_lab_params_at_the_field(lab, params, field):
    with pytest.raises(labcontract.ContractError, match="not a finite number") as refused:
        labcontract.lab_params_with_defaults(lab, params)
    assert refused.value.field == field


def form_error(response) -> str:
    assert response.status_code == 200
    return response.content.decode().split('data-testid="form-error">')[1].split("</div>")[0]


@pytest.mark.parametrize("lab, data, named", [
    ("finetune", {"lr": "nan"}, "lr"), ("finetune", {"alpha": "NaN"}, "alpha"),
    ("finetune", {"dropout": "inf"}, "dropout"), ("finetune", {"heldout_fraction": "nan"}, "heldout_fraction"),
    ("finetune", {"lr": "1e999"}, "lr"),
    ("long-context", {"accuracy_threshold": "nan"}, "accuracy_threshold"),
    ("long-context", {"passkey_depths": "0.5\nnan"}, "passkey_depths"),
    ("long-context", {"settings": "yarn nan"}, "settings"),
])
def test_the_form_refuses_nan_at_the_field_and_queues_nothing(client_a, user, lab, data, named):
    client_a.cookies["django_language"] = "en"
    error = form_error(client_a.post(reverse("lab_new", args=[lab]), {"queue": "lab.cpu", **data}))
    assert named in error and "finite" in error
    assert not LabJob.objects.exists()


# ---- property-based: no 500 -------------------------------------------------------------------------------------


class Huge(int):
    """An integer written as `digits` digits in the JSON text (Python could not print one over 4,300)."""

    digits: int


def _huge(digits: int) -> Huge:
    value = Huge(1)
    value.digits = digits
    return value


def to_json(value) -> str:
    if isinstance(value, Huge):
        return "9" * value.digits
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v) for v in value) + "]"
    return json.dumps(value)  # NaN/Infinity come out as the literals json.loads reads


NUMBERS = st.one_of(st.integers(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(min_value=19, max_value=6000).map(_huge))
LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=20))
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                      max_leaves=12)


def _caps(value):
    return st.sampled_from(["ram_bytes", "cpu", "cuda_devices", "versions", "queues"]).map(
        lambda key: {"capabilities": {**CAPS, key: value}})


BODIES = st.one_of(
    st.tuples(st.just("heartbeat"), VALUES.flatmap(_caps)),
    st.tuples(st.just("heartbeat"), st.fixed_dictionaries({"capabilities": st.just(CAPS),
                                                           "running_jobs": st.lists(NUMBERS, max_size=3)})),
    st.tuples(st.just("start"), st.fixed_dictionaries({"attempt": NUMBERS, "system_info": VALUES})),
    st.tuples(st.just("progress"), st.fixed_dictionaries({"attempt": NUMBERS, "progress": NUMBERS,
                                                          "stage": st.text(max_size=10)})),
    st.tuples(st.just("result"), st.fixed_dictionaries({"attempt": NUMBERS, "result": VALUES})),
    st.tuples(st.just("failure"), st.fixed_dictionaries({"attempt": NUMBERS, "error": st.text(max_size=10)})),
    st.tuples(st.sampled_from(["heartbeat", "start", "progress", "result", "failure"]), VALUES),
)
SLOW = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much])


@SLOW
@given(call=BODIES, which=st.sampled_from(["job", "missing", "huge"]))
def test_no_runner_api_body_gives_a_500(client, runner, job, call, which):
    _, token = runner
    kind, body = call
    job_id = {"job": job.id, "missing": job.id + 10_000, "huge": 10**30}[which]
    path = "heartbeat" if kind == "heartbeat" else f"jobs/{job_id}/{kind}"
    response = api(client, path, to_json(body), token)  # the test client re-raises what would be a 500
    assert response.status_code < 500, response.content[:300]
    assert response.status_code == 200 or response.json()["error"]


def _form_values(lab: str):
    words = st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e999", "1e-400", "-0", "0", "1",
                             "0.5", DIGITS_400, DIGITS_4301, "", " ", "yarn nan", "linear inf", "yarn 4 beta_fast=nan",
                             "dynamic 1e999", "0.5\nnan"])
    value = st.one_of(words, st.integers().map(str), st.floats().map(str), st.text(max_size=8))
    names = []
    for name, spec in labcontract.LAB_PARAMS[lab]["properties"].items():
        if name.endswith("_jsonl"):
            continue
        names.append(name)
        names.extend(f"{name}.{key}" for key in (spec.get("properties") or {}))
    return st.dictionaries(st.sampled_from(names), value, min_size=1, max_size=4)


FORM_LABS = [slug for slug, lab in registry.LABS.items() if not lab.upload]


@pytest.mark.parametrize("lab", FORM_LABS)
def test_no_lab_form_input_gives_a_500(client_a, user, lab):
    queue = registry.get(lab).queues[0]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=_form_values(lab))
    def post(data):
        response = client_a.post(reverse("lab_new", args=[lab]), {"queue": queue, **data})
        assert response.status_code in (200, 302), response.status_code

    post()
