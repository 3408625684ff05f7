"""Every word of a lab's progress in the learner's language (issue 18): the runner's stages and unsupported
reasons are codes with parameters (labcontract/stages.py) that the site translates; free text from an older
runner is shown as it came."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labcontract.stages import parse_reason, parse_stage
from tests.support import lab_job_page as page
from tests.support import lab_result as result_data
from tests.support import make_lab_job as make_job

ROOT = Path(__file__).resolve().parent.parent


def test_every_stage_the_runner_writes_is_in_the_vocabulary():
    """The literal stages in gpu_runner/labs (report(...) and stage=...), with f-string fields filled."""
    found = set()
    for path in (ROOT / "gpu_runner" / "labs").rglob("*.py"):
        for match in re.finditer(r'(?:report\([^,()]+(?:\([^()]*\))?[^,()]*, |stage=)(f?)"([^"]+)"', path.read_text()):
            text = re.sub(r"\{step \+ 1\}|\{i \+ 1\}|\{r \+ 1\}|\{index \+ 1\}|\{total\}|\{steps\}|\{len\(levels\)\}"
                          r"|\{spec\['repeats'\]\}|\{length\}", "3", match.group(2))
            text = text.replace("{losses[-1]:.3f}", "1.234").replace("{engine}", "transformers-cb")
            text = text.replace("{name}", "fp32").replace("{problem}", "gemm").replace("{precision}", "int8")
            text = text.replace("{'x'.join(map(str, dims))}", "255x257x129")
            found.add(text)
    assert len(found) >= 20
    unknown = {text: part for text in found for code, part in parse_stage(text) if code is None}
    assert unknown == {}


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "stage", "shown"), [
    ("zh-hans", "fp32 (1/3): timed runs", "fp32（第 1/3 项）：计时运行"),
    ("en", "fp32 (1/3): timed runs", "fp32 (item 1/3): timed runs"),
    ("zh-hans", "transformers-cb: level 2/3", "transformers-cb：第 2/3 级负载"),
    ("zh-hans", "lora (1/1): step 3/12, loss 2.345", "lora（第 1/1 项）：第 3/12 步，loss 2.345"),
    ("zh-hans", "something an old runner said", "something an old runner said"),
    ("en", "完成", "Done"),
])
def test_the_job_page_shows_the_stage_in_the_learners_language(client_a, user, lang, stage, shown):
    job = make_job(user, "quant-inference", None, status="running")
    job.stage, job.finished_at = stage, None
    job.save()
    html = page(client_a, job, lang)
    assert shown in html


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "shown", "hidden"), [
    ("zh-hans", "vLLM 只能在 CUDA GPU 上运行；这个任务在 CPU 上运行", "this job runs on the CPU"),
    ("en", "vLLM runs only on a CUDA GPU; this job runs on the CPU", "只能"),
])
def test_an_unsupported_reason_is_translated(client_a, user, lang, shown, hidden):
    html = page(client_a, make_job(user, "vllm-batch", result_data("vllm-batch")), lang)
    assert shown in html and hidden not in html


def test_a_reason_outside_the_vocabulary_is_kept_as_written():
    assert parse_reason("torchao does not import here: boom") == (None, {})
    assert parse_reason("bitsandbytes NF4 runs on CUDA devices; this runner has none")[0] == "nf4-needs-cuda"


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_serving_charts_definitions_and_saturation_reason_are_in_the_learners_language(client_a, user, lang):
    result = result_data("serving-bench")
    html = page(client_a, make_job(user, "serving-bench", result), lang)
    english = ("TTFT = arrival of the first streamed chunk", "output tokens/s against concurrency",
               "still rose by at least the threshold")
    if lang == "en":
        assert all(words in html for words in english)
    else:
        assert not any(words in html for words in english)
        assert "TTFT p50/p99 与 TPOT 随并发的变化" in html and "包含排队和 prefill" in html
        assert "扫描的每一步输出 tokens/s 的增幅都不低于阈值" in html


def test_a_changed_runner_definition_is_shown_as_the_runner_wrote_it():
    from labs.serving_words import definition

    assert definition("ttft", "TTFT from the request's first byte (new)") == "TTFT from the request's first byte (new)"
