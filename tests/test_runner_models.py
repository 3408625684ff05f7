"""Runners report the models they hold, the lab form offers them, and a model path no runner that could take the
job holds is refused at the field before anything is queued (issue 18: model /etc/passwd was queued and "成功")."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

import labcontract
from gpu_runner.service.capabilities import runner_models
from labs.models import LabJob, Runner

CHOICE = {"quant-inference": {"precisions": "fp32"}, "vllm-batch": {"engines": "hf-sequential"}}
CAPS = {"cpu": {"model": "test", "cores": 2}, "ram_bytes": 1, "cuda_devices": [], "versions": {},
        "queues": ["lab.cpu"]}


def test_the_runner_reports_builtin_models_and_model_directories_under_its_models_folder(tmp_path):
    (tmp_path / "qwen05").mkdir()
    (tmp_path / "qwen05" / "config.json").write_text("{}")
    (tmp_path / "Qwen" / "Qwen2.5-1.5B").mkdir(parents=True)
    (tmp_path / "Qwen" / "Qwen2.5-1.5B" / "config.json").write_text("{}")
    (tmp_path / "notes").mkdir()  # no config.json: not a model
    models = runner_models(tmp_path)
    assert models == ["smollm2-135m", "fixture", str(tmp_path / "Qwen" / "Qwen2.5-1.5B"), str(tmp_path / "qwen05")]
    assert runner_models(None) == ["smollm2-135m", "fixture"]
    assert runner_models(tmp_path / "missing") == ["smollm2-135m", "fixture"]
    labcontract.validate("heartbeat", {"capabilities": {**CAPS, "models": models}})


def heartbeat(client, user, models):
    runner, token = Runner.create_with_token(owner=user, name="laptop")
    body = {"capabilities": {**CAPS, **({"models": models} if models is not None else {})}}
    response = client.post(labcontract.API_PREFIX + "heartbeat", data=json.dumps(body),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    return runner


@pytest.mark.django_db
@pytest.mark.parametrize(("lab", "lang", "words"), [
    ("quant-inference", "zh-hans", "没有一台能运行 lab.cpu 的 runner 有模型"),
    ("vllm-batch", "en", "No runner that can run lab.cpu holds model")])
def test_a_job_on_a_model_no_runner_holds_cannot_be_queued(client, client_a, user, lab, lang, words):
    heartbeat(client, user, ["smollm2-135m", "fixture", "/models/qwen05"])
    client_a.cookies["django_language"] = lang
    response = client_a.post(reverse("lab_new", args=[lab]), {"queue": "lab.cpu", "model": "/etc/passwd",
                                                                   **CHOICE[lab]})
    assert response.status_code == 200 and not LabJob.objects.filter(user=user).exists()
    html = response.content.decode()
    row = html.split('data-testid="field-model"')[1].split('<div class="form-row"')[0]
    error = row.split('data-testid="field-error-model">')[1].split("</p>")[0]
    assert words in error and "/etc/passwd" in error and "/models/qwen05" in error
    # The form offers what the runner holds.
    assert 'list="runner-models"' in row and '<option value="/models/qwen05">' in row
    response = client_a.post(reverse("lab_new", args=[lab]), {"queue": "lab.cpu", "model": "/models/qwen05",
                                                                   **CHOICE[lab]})
    assert response.status_code == 302
    assert LabJob.objects.get(user=user).params["model"] == "/models/qwen05"


@pytest.mark.django_db
def test_a_runner_that_reports_no_models_is_not_second_guessed(client, client_a, user):
    heartbeat(client, user, None)  # an older runner: what it holds is unknown, the job goes to it
    response = client_a.post(reverse("lab_new", args=["quant-inference"]),
                             {"queue": "lab.cpu", "model": "/srv/models/mine", "precisions": "fp32"})
    assert response.status_code == 302
    form = client_a.get(reverse("lab_new", args=["quant-inference"])).content.decode()
    assert 'data-testid="runner-models"' not in form
