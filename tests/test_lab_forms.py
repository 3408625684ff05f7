"""The lab forms a learner fills in: every parameter of every lab has a labelled input, a valid POST queues a
job with exactly the parameters typed, and a bad one shows the message naming the field (or the line of an
uploaded dataset) and creates nothing."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import labcontract
from labs import registry
from labs.models import LabJob

pytestmark = pytest.mark.django_db


def post(client, lab: str, data: dict, lang: str = "en"):
    client.cookies["django_language"] = lang
    return client.post(reverse("lab_new", args=[lab]), data)


def only_job(user) -> LabJob:
    (job,) = LabJob.objects.filter(user=user)
    return job


def form_error(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    return html.split('data-testid="form-error">')[1].split("</div>")[0]


@pytest.mark.parametrize("lab", [slug for slug, lab in registry.LABS.items() if not lab.upload])
def test_every_parameter_of_a_lab_has_a_labelled_input_on_its_form(client_a, lab):
    html = client_a.get(reverse("lab_new", args=[lab])).content.decode()
    entry = registry.get(lab)
    for name in labcontract.LAB_PARAMS[lab]["properties"]:
        assert f'data-testid="field-{name}"' in html, name
        assert entry.label(name) != name, f"{lab}.{name} has no label"
        assert f'name="{name}' in html, name


def test_a_serving_form_queues_the_rates_concurrency_and_slos_typed(client_a, user):
    response = post(client_a, "serving-bench", {
        "queue": "lab.cpu", "engines": ["transformers"], "model": "fixture", "api": "completions",
        "request_rates": "0.5\n2\ninf", "concurrency": "", "slo.ttft_ms": "500", "slo.tpot_ms": "",
        "slo.e2el_ms": "2000", "ignore_eos": ["false"], "duration_s": "5", "max_requests_per_level": "16",
        "slo_target": "0.95"})
    assert response.status_code == 302
    params = only_job(user).params
    assert params["request_rates"] == [0.5, 2.0, "inf"] and params["concurrency"] == []
    assert params["slo"] == {"ttft_ms": 500.0, "e2el_ms": 2000.0} and params["slo_target"] == 0.95
    assert params["ignore_eos"] is False and params["api"] == "completions" and params["engines"] == ["transformers"]
    assert params["duration_s"] == 5.0 and params["max_requests_per_level"] == 16


def test_a_checked_box_is_true_and_the_forms_default_concurrency_is_prefilled(client_a, user):
    html = client_a.get(reverse("lab_new", args=["serving-bench"])).content.decode()
    assert '<textarea name="concurrency" id="f-concurrency" rows="3"' in html and ">1\n2\n4</textarea>" in html
    assert post(client_a, "serving-bench", {"queue": "lab.cpu", "engines": ["transformers"], "concurrency": "1\n2",
                                            "ignore_eos": ["false", "true"]}).status_code == 302
    params = only_job(user).params
    assert params["ignore_eos"] is True and params["concurrency"] == [1, 2] and params["slo"] == {}


@pytest.mark.parametrize(("data", "named"), [
    ({"concurrency": "1\ntwo"}, "concurrency line 2: “two” is not a number"),
    ({"slo.ttft_ms": "-5"}, "slo"),
    ({"engines": []}, "engines"),
])
def test_a_bad_serving_form_names_the_field_and_queues_nothing(client_a, user, data, named):
    response = post(client_a, "serving-bench", {"queue": "lab.cpu", "engines": ["transformers"], **data})
    assert named in form_error(response)
    assert not LabJob.objects.exists()


EXAMPLE = {"id": "weather-1", "conversations": [
    {"from": "user", "value": "What's the weather in Kunming?"},
    {"from": "assistant",
     "value": 'Thought: I need the weather.\nAction: get_weather\nAction Input: {"city": "Kunming"}'}]}


def jsonl(*lines: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("train.jsonl", "\n".join(lines).encode(), content_type="application/jsonl")


def test_a_finetune_form_queues_the_uploaded_dataset(client_a, user):
    lines = [json.dumps({**EXAMPLE, "id": f"ex-{i}"}, ensure_ascii=False) for i in range(3)]
    response = post(client_a, "finetune", {
        "queue": "lab.cpu", "method": "lora", "dataset": "upload", "train_jsonl": jsonl(*lines), "rank": "4",
        "target_modules": "q_proj\nv_proj", "gradient_checkpointing": ["false", "true"], "lr": "0.0005"})
    assert response.status_code == 302
    params = only_job(user).params
    assert params["train_jsonl"] == "\n".join(lines) and params["dataset"] == "upload"
    assert params["target_modules"] == ["q_proj", "v_proj"] and params["rank"] == 4 and params["lr"] == 0.0005
    assert params["gradient_checkpointing"] is True


def test_the_finetune_forms_all_linear_default_stays_a_word(client_a, user):
    assert post(client_a, "finetune", {"queue": "lab.cpu", "target_modules": "all-linear"}).status_code == 302
    assert only_job(user).params["target_modules"] == "all-linear"


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_a_malformed_dataset_line_is_refused_before_anything_is_queued_naming_the_line(client_a, user, lang):
    good = json.dumps(EXAMPLE)
    response = post(client_a, "finetune", {"queue": "lab.cpu", "dataset": "upload",
                                           "train_jsonl": jsonl(good, '{"conversations": [}', good)}, lang)
    error = form_error(response)
    assert "train_jsonl line 2: not valid JSON" in error
    assert not LabJob.objects.exists()


def test_an_upload_without_a_file_is_refused_naming_the_field(client_a, user):
    error = form_error(post(client_a, "finetune", {"queue": "lab.cpu", "dataset": "upload"}))
    assert "train_jsonl" in error and not LabJob.objects.exists()


def test_a_long_context_form_queues_one_rope_setting_a_line(client_a, user):
    response = post(client_a, "long-context", {
        "queue": "lab.cpu", "settings": "none\nlinear 4\n\nyarn 8 beta_fast=16 beta_slow=2",
        "lengths": "128\n512", "passkey_depths": "0.25\n0.75", "trained_length": "128"})
    assert response.status_code == 302
    params = only_job(user).params
    assert params["settings"] == [{"type": "none"}, {"type": "linear", "factor": 4.0},
                                  {"type": "yarn", "factor": 8.0, "beta_fast": 16.0, "beta_slow": 2.0}]
    assert params["lengths"] == [128, 512] and params["passkey_depths"] == [0.25, 0.75]
    assert params["trained_length"] == 128


def test_the_long_context_form_shows_its_default_settings_as_lines(client_a):
    html = client_a.get(reverse("lab_new", args=["long-context"])).content.decode()
    assert ">none\nlinear 4\ndynamic 4\nyarn 4</textarea>" in html


@pytest.mark.parametrize(("settings", "named"), [
    ("linear", "settings[0]: a linear RoPE setting needs a factor"),
    ("linear four", "settings line 1: “linear four” should look like “linear 4”"),
    ("none\ncubic 2", "settings"),
])
def test_a_bad_rope_setting_names_its_line_and_queues_nothing(client_a, user, settings, named):
    assert named in form_error(post(client_a, "long-context", {"queue": "lab.cpu", "settings": settings}))
    assert not LabJob.objects.exists()


def test_the_vllm_form_takes_gpu_memory_utilization_and_refuses_one_over_the_cap(client_a, user):
    base = {"queue": registry.get("vllm-batch").queues[0], "engines": ["hf-sequential"]}
    error = form_error(post(client_a, "vllm-batch", {**base, "gpu_memory_utilization": "0.99"}))
    assert "gpu_memory_utilization" in error and not LabJob.objects.exists()
    assert post(client_a, "vllm-batch", {**base, "gpu_memory_utilization": "0.5"}).status_code == 302
    assert only_job(user).params["gpu_memory_utilization"] == 0.5


def test_a_refused_form_keeps_what_the_learner_typed(client_a, user):
    response = post(client_a, "serving-bench", {"queue": "lab.cpu", "engines": ["transformers-cb"],
                                                "concurrency": "1\ntwo", "prompt_tokens": "64", "slo.ttft_ms": "250",
                                                "ignore_eos": ["false"], "api": "completions"})
    html = response.content.decode()
    assert "concurrency line 2" in form_error(response)
    assert ">1\ntwo</textarea>" in html and 'name="prompt_tokens" id="f-prompt_tokens" value="64"' in html
    assert 'name="slo.ttft_ms" id="f-slo" value="250"' in html and "<option selected>completions</option>" in html
    assert 'value="transformers-cb" checked' in html and 'value="transformers" checked' not in html
    assert 'id="f-ignore_eos" value="true" >' in html  # left unticked
