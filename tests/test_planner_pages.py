"""The planner page through the Django test client, in Chinese and English: the plan's first question answered
with its breakdown, a plan prefilled from query parameters, a pasted config.json, and bad input answered with a
message naming the field."""

from __future__ import annotations

import json

import pytest

from planner import catalog
from planner.exercises import QUESTIONS
from planner.views import planner_url

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def page(client, url, **headers):
    response = client.get(url, **headers)
    return response, response.content.decode()


def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_the_page_needs_a_login(client):
    assert client.get("/planner/").status_code == 302


def test_first_question_is_answered_with_its_breakdown_in_chinese(client_a):
    response, html = page(client_a, "/planner/")
    assert response.status_code == 200
    assert 'data-testid="planner-answer"' in html
    assert "Qwen-7B-Chat-Int4 能在 8 GB 的 RTX 4070 笔记本上跑吗" in html
    assert "装不下" in html and "权重 5.45 GiB" in html and "KV cache 2.0 GiB" in html
    assert "换成 vLLM" in html and "能同时放 1 条" in html
    assert "7,721,324,544" in html and "524{,}288" in html  # the parameter table and the KV formula
    assert html.count('class="arithmatex"') >= 10
    chart = json.loads(_attr(html, "planner-memory"))
    assert [s["gib"] for s in chart["segments"]] == [5.45, 2.0, 0.16, 0.5] and chart["card_gib"] == 8.0


def test_first_question_in_english(client_a):
    response, html = page(english(client_a), "/planner/")
    assert response.status_code == 200
    assert "Can Qwen-7B-Chat-Int4 run on an 8 GB RTX 4070 laptop?" in html
    assert "Capacity planner" in html and "Does it fit" in html and "Weights 5.45 GiB" in html
    assert "装不下" not in html and "容量规划器" not in html


def test_a_prefilled_link_plans_a_job_with_the_runners_measured_bandwidth(client_a):
    url = planner_url(model="smollm2-135m", gpu="rtx-4070-laptop", bw=180, precision="bf16", context=512,
                      batch=4, tp=1)
    assert url.startswith("/planner/?model=smollm2-135m&gpu=rtx-4070-laptop&bw=180")
    response, html = page(client_a, url)
    assert response.status_code == 200 and 'data-testid="planner-answer"' not in html
    assert "134,515,008" in html
    curve = json.loads(_attr(html, "planner-curve"))
    published = json.loads(_attr(page(client_a, url.replace("&bw=180", ""))[1], "planner-curve"))
    assert curve["datasets"][0]["points"][0][1] < published["datasets"][0]["points"][0][1]  # 180 < 256 GB/s


def test_a_pasted_config_is_planned(client_a):
    config = json.dumps(catalog.model("gemma-2-2b").config)
    response, html = page(client_a, "/planner/?" + _query(model="pasted", config=config, gpu="l4"))
    assert response.status_code == 200
    assert "2,614,341,888" in html and "13 层是滑动窗口注意力" in html


@pytest.mark.parametrize(("params", "field", "words"), [
    ({"model": "pasted", "config": '{"hidden_size": 4096,'}, "config", "不是合法的 JSON"),
    ({"model": "pasted", "config": '{"hidden_size": 4096, "num_attention_heads": 32}'}, "config",
     "num_hidden_layers"),
    ({"model": "pasted", "config": ""}, "config", "请粘贴内容"),
    ({"gpu": "custom", "mem": "8"}, "bw", "自定义 GPU 需要填写这一项"),
    ({"context": "0"}, "context", ""),
    ({"tp": "3"}, "tp", ""),
    ({"model": "qwen2_5-7b", "tp": "8"}, "tp", "28"),
])
def test_bad_input_gets_a_message_naming_the_field(client_a, params, field, words):
    response, html = page(client_a, "/planner/?" + _query(**params))
    assert response.status_code == 400
    error = html.split('data-testid="planner-error"', 1)[1].split("</div>\n", 1)[0]
    assert f"<code>{field}</code>" in error and words in error
    assert 'data-testid="planner-fit"' not in html


def test_bad_json_is_named_in_english_too(client_a):
    response, html = page(english(client_a), "/planner/?" + _query(model="pasted", config="{oops"))
    assert response.status_code == 400 and "is not valid JSON (line 1, column 2" in html


def test_a_runner_declared_through_the_hook_is_offered_with_its_measured_bandwidth(client_a, monkeypatch):
    from django.apps import apps

    monkeypatch.setattr(apps.get_app_config("planner"), "planner_devices", "tests.support.planner_devices",
                        raising=False)
    response, html = page(client_a, "/planner/?gpu=runner-7&model=qwen2_5-1_5b")
    assert response.status_code == 200
    assert "gpu-box (RTX 4070 Laptop, measured)" in html and "measured device-to-device copy" in html


def _attr(html: str, testid: str) -> str:
    import html as htmllib

    tag = html.split(f'data-testid="{testid}"', 1)[1]
    return htmllib.unescape(tag.split('data-chart="', 1)[1].split('"', 1)[0])


def _query(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


@pytest.mark.parametrize("slug", [q.slug for q in QUESTIONS])
def test_a_planner_exercise_is_judged_by_the_numeric_checker_within_its_tolerance(user, slug):
    from practice.models import Exercise
    from practice.services import submission_create

    question = next(q for q in QUESTIONS if q.slug == slug)
    answer, _numbers = question.solve()
    exercise = Exercise.objects.get(slug=slug)
    assert exercise.answer == pytest.approx(answer) and exercise.tolerance == question.tolerance
    off = answer * (1 + 3 * question.tolerance.get("rel", 0)) + 3 * question.tolerance.get("abs", 0)
    assert submission_create(user=user, exercise=exercise, answer=f"{answer:,}").verdict == "AC"
    assert submission_create(user=user, exercise=exercise, answer=str(off)).verdict == "WA"
    assert "/planner/" in exercise.explanation and "/planner/" in exercise.explanation_en


def _runner(owner, name: str, *, gpu: str | None = None, gib: int = 8, shared: bool = False, revoked: bool = False):
    from django.utils import timezone

    from labs.models import Runner

    runner, _token = Runner.create_with_token(owner=owner, name=name)
    runner.capabilities = {
        "cpu": {"model": "Intel Core i7-13700H", "cores": 20, "memory_bandwidth_gb_s": 41.2, "matmul_gflops": 310.0},
        "ram_bytes": 32 * 1024**3, "versions": {}, "queues": ["lab.cpu", "lab.cuda"] if gpu else ["lab.cpu"],
        "cuda_devices": [{"name": gpu, "memory_bytes": gib * 1024**3}] if gpu else []}
    runner.shared, runner.revoked_at = shared, timezone.now() if revoked else None
    runner.save()
    return runner


def test_the_learners_runners_are_in_the_gpu_list_with_what_they_measured(client_a, user, other_user):
    from tests.support import make_lab_job

    laptop = _runner(user, "laptop", gpu="NVIDIA GeForce RTX 4070 Laptop GPU")
    copy = {"device": "NVIDIA GeForce RTX 4070 Laptop GPU", "gb_per_s": 231.5,
            "source": "measured device-to-device copy"}
    make_lab_job(user, "quant-inference", {"device": "cuda", "device_bandwidth": copy}, runner=laptop)
    make_lab_job(other_user, "quant-inference", {"device": "cuda", "device_bandwidth": {**copy, "gb_per_s": 99.0}},
                 runner=_runner(other_user, "bobs-box", gpu="NVIDIA GeForce RTX 4070 Laptop GPU"))
    shared = _runner(other_user, "lab-a10", gpu="NVIDIA A10", gib=24, shared=True)
    _runner(user, "old-box", gpu="NVIDIA L4", revoked=True)

    response, html = page(client_a, "/planner/")
    table = html.split('data-testid="planner-gpus"', 1)[1]
    # The GPU with the bandwidth its quant job measured and the datasheet's compute; its host's CPU as measured.
    assert "laptop · NVIDIA GeForce RTX 4070 Laptop GPU</td><td class=\"num\">8.0</td><td class=\"num\">231.5<" in table
    assert "laptop · Intel Core i7-13700H</td><td class=\"num\">32.0</td><td class=\"num\">41.2<" in table
    assert "41.2</td><td class=\"num\">0.31<" in table  # the CPU's measured fp32 matmul, in TFLOPS
    assert "231.5 GB/s（runner：设备内显存拷贝实测）" in table  # the runner's note, in the page's language
    # A runner shared with everyone, read from its datasheet (another learner's jobs on it are theirs).
    assert "lab-a10 · NVIDIA A10</td><td class=\"num\">24.0</td><td class=\"num\">600.0<" in table
    assert "bobs-box" not in html and "old-box" not in html and "99.0" not in table
    _, en = page(english(client_a), "/planner/")
    assert ("231.5 GB/s (runner: measured device-to-device copy) · 40 TFLOPS (datasheet, dense FP16/BF16)" in en
            and "41.2 GB/s (measured by the runner: a memory copy, read and write both counted)" in en)
    client_a.cookies["django_language"] = "zh-hans"

    # Choosing it plans with those figures: the same page as typing them in as a custom GPU.
    chosen, mine = page(client_a, f"/planner/?gpu=runner-{laptop.id}-gpu0&model=qwen2_5-1_5b")
    typed, custom = page(client_a, "/planner/?gpu=custom&bw=231.5&mem=8.0&tflops=40.1&model=qwen2_5-1_5b")
    assert chosen.status_code == typed.status_code == 200
    section = 'data-testid="planner-fit"'
    assert section in mine and mine.split(section, 1)[1].split("</section>", 1)[0] == custom.split(
        section, 1)[1].split("</section>", 1)[0]
    assert f'value="runner-{laptop.id}-gpu0" selected' in mine and f'value="runner-{shared.id}-cpu"' in mine
