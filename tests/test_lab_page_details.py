"""Lab-page details of issue 18: the serving table's E2EL column and means, base_url with or without /v1, a failed
or one-step fine-tune, percentage points on the compare page."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
from django.urls import reverse

from labcontract.labs.serving_bench import validate_params
from tests.support import lab_job_page as page
from tests.support import lab_result as result_data
from tests.support import make_lab_job as make_job


@pytest.mark.django_db
def test_the_serving_table_has_e2el_and_the_means(client_a, user):
    result = result_data("serving-bench")
    html = page(client_a, make_job(user, "serving-bench", result), "en")
    for header in ("E2EL p50 ms", "E2EL mean ms", "E2EL p99 ms", "TTFT mean ms", "TPOT mean ms"):
        assert f"<th>{header}</th>" in html
    level = result["engines"][0]["levels"][0]
    assert f"{level['e2el_ms']['mean']:.1f}" in html


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1/"])
def test_a_base_url_ending_in_v1_means_the_same_server(url):
    assert validate_params({"base_url": url})["base_url"] == "http://127.0.0.1:8000"


@pytest.mark.django_db
def test_the_form_says_base_url_has_no_v1(client_a):
    client_a.cookies["django_language"] = "en"
    html = client_a.get(reverse("lab_new", args=["serving-bench"])).content.decode()
    assert "without /v1" in html


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_fine_tune_with_no_parameters_or_one_step_shows_no_made_up_figures(client_a, user, lang):
    result = result_data("finetune")
    result["parameters"] = {}
    result["settings"]["steps"] = 1
    html = page(client_a, make_job(user, "finetune", result), lang)
    assert "0 / 0" not in html and "(—%)" not in html
    assert ("one step only: not timed" if lang == "en" else "只有 1 步，没有计时") in html
    assert f"<td>{result['s_per_step']:.3f}</td>" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "words"), [("zh-hans", "-96.15 个百分点"), ("en", "-96.15 percentage points")])
def test_the_compare_page_shows_a_difference_of_percentages_in_percentage_points(client_a, user, lang, words):
    good, bad = result_data("cpp-tokenizer-ok"), result_data("cpp-tokenizer-ok")
    bad["exact_match_rate"], bad["documents_matched"] = 0.0385, 1
    a, b = make_job(user, "cpp-tokenizer", good), make_job(user, "cpp-tokenizer", bad)
    client_a.cookies["django_language"] = lang
    html = client_a.get(reverse("lab_compare") + f"?a={a.pk}&b={b.pk}").content.decode()
    assert words in html and "-96.15 %" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_tokenizer_page_shows_the_invalid_utf8_check_and_a_failed_parity_is_not_a_plain_success(
        client_a, user, lang):
    good = result_data("cpp-tokenizer-ok")
    html = page(client_a, make_job(user, "cpp-tokenizer", good), lang)
    shown = html.split('data-testid="invalid-utf8"')[1].split("</p>")[0]
    assert ("passed" if lang == "en" else "通过") in shown and "2" in shown
    assert 'data-testid="parity-failed"' not in html
    bad = result_data("cpp-tokenizer-ok")
    bad.update(exact_match_rate=0.0385, documents_matched=1, status="WA", throughput=None,
               invalid_utf8={"ok": False, "returncode": 0, "stderr": ""})
    html = page(client_a, make_job(user, "cpp-tokenizer", bad), lang)
    failed = html.split('data-testid="parity-failed"')[1].split("</p>")[0]
    assert "1/26" in failed and ("Not passed" if lang == "en" else "没有通过") in failed
    shown = html.split('data-testid="invalid-utf8"')[1].split("</p>")[0]
    assert ("the contract asks for 2" if lang == "en" else "契约要求 2") in shown


@pytest.mark.django_db
def test_the_batch_form_leaves_vllm_unticked_unless_a_runner_serves_lab_vllm(client_a, user):
    from labs.models import Runner

    def ticked() -> tuple[list[str], str]:
        html = client_a.get(reverse("lab_new", args=["vllm-batch"])).content.decode()
        return re.findall(r'name="engines" value="([^"]+)" checked', html), html

    engines, html = ticked()
    assert "vllm" not in engines and "hf-continuous-batching" in engines
    assert 'data-testid="field-note-engines"' in html
    runner, _ = Runner.create_with_token(owner=user, name="gpu")
    runner.capabilities = {"queues": ["lab.cpu", "lab.cuda", "lab.vllm"]}
    runner.save()
    engines, html = ticked()
    assert "vllm" in engines and 'data-testid="field-note-engines"' not in html


@pytest.mark.django_db
def test_number_inputs_carry_the_schemas_limits(client_a):
    html = client_a.get(reverse("lab_new", args=["quant-inference"])).content.decode()
    gen_len = re.search(r'<input type="number"[^>]*name="gen_len"[^>]*>', html).group(0)
    assert 'min="2"' in gen_len and 'max="4096"' in gen_len


CONTRACT = Path(__file__).resolve().parent.parent / "gpu_runner" / "cpp" / "CONTRACT.md"


@pytest.mark.django_db
def test_the_tokenizer_form_shows_the_contract_as_gpu_runner_states_it_and_a_skeleton_that_keeps_it(
        client_a, tmp_path):
    contract = CONTRACT.read_text(encoding="utf-8")
    html = client_a.get(reverse("lab_new", args=["cpp-tokenizer"])).content.decode()

    def shown(testid: str) -> str:
        return unescape(re.search(rf'data-testid="{testid}">(.*?)</code>', html, re.S).group(1))

    assert shown("contract-command") in contract  # "tokenizer <path/to/qwen.tiktoken>"
    assert shown("contract-python") in contract
    pattern = shown("contract-pattern")
    assert f"   {pattern}\n" in contract
    exit_codes = html.split('data-testid="contract-exit"')[1].split("</span>")[0]
    assert "2" in exit_codes and "`2` when stdin is not valid UTF-8" in contract
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("no g++ here to build the skeleton")
    source = tmp_path / "tokenizer.cpp"
    source.write_text(shown("skeleton-source"), encoding="utf-8")
    subprocess.run([gxx, "-std=c++17", "-O1", "-o", str(tmp_path / "tokenizer"), str(source)], check=True)
    run = [str(tmp_path / "tokenizer"), "qwen.tiktoken"]
    bad = subprocess.run(run, input=b"ok \xed\xa0\x80", capture_output=True)  # a surrogate: invalid UTF-8
    assert bad.returncode == 2 and bad.stdout == b"" and b"invalid UTF-8" in bad.stderr
    good = subprocess.run(run, input="你好".encode(), capture_output=True)
    assert good.returncode == 0 and good.stdout.endswith(b"\n")
    assert subprocess.run(run[:1], capture_output=True).returncode == 1  # usage error


@pytest.mark.django_db
@pytest.mark.parametrize(("broker", "local"), [("sqla+sqlite:////tmp/x/celery-broker.sqlite3", True),
                                               ("redis://:secret@10.0.0.5:6379/0", False)])
def test_the_runner_pages_say_which_broker_url_a_runner_needs(client_a, settings, broker, local):
    settings.CELERY_BROKER_URL = broker
    client_a.cookies["django_language"] = "en"
    for html in (client_a.get(reverse("labs")).content.decode(),
                 client_a.post(reverse("runner_create"), {"name": "laptop"}).content.decode()):
        hint = html.split('data-testid="broker-hint"')[1].split("</div>")[0]
        assert ("only a runner on the same machine" in hint and "make run" in hint) is local
        assert "secret" not in hint
        assert ("redis://:***@10.0.0.5:6379/0" in hint) is not local


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "said"), [("zh-hans", "必须在 2 到 4096 之间"), ("en", "must be between 2 and 4096")])
def test_an_out_of_range_number_is_refused_at_its_field_in_the_learners_language(client_a, lang, said):
    from labs.models import LabJob

    client_a.cookies["django_language"] = lang
    response = client_a.post(reverse("lab_new", args=["quant-inference"]),
                             {"queue": "lab.cpu", "precisions": ["fp32"], "gen_len": "-5"})
    html = response.content.decode()
    at_field = html.split('data-testid="field-gen_len"')[1].split("</div>")[0]
    assert 'data-testid="field-error-gen_len"' in at_field and said in at_field
    assert "is less than the minimum" not in html and not LabJob.objects.exists()
    assert 'value="-5"' in at_field  # what was typed stays


@pytest.mark.django_db
@pytest.mark.parametrize("page_path", ["/kb/bpe-tokenizer/", "/tasks/cpp-rewrite-tokenizer/"])
def test_the_tokenizer_article_and_plan_task_link_the_contract_on_the_lab_page(client_a, plan_content, page_path):
    response = client_a.get(page_path)
    assert response.status_code == 200
    links = set(re.findall(r'href="([^"]*#contract)"', response.content.decode()))
    assert links == {reverse("lab_new", args=["cpp-tokenizer"]) + "#contract"}
    target = client_a.get(links.pop().split("#")[0])
    assert target.status_code == 200
    assert 'id="contract"' in target.content.decode()
