"""Every word of a lab's result in the learner's language (issue 18), read as a learner sees it: headless
Chromium opens each lab's job page in zh and finds no English word in the rendered result beyond an allow-list
of technical terms (units, metric names, libraries) and the names the runner gives its configurations."""

from __future__ import annotations

import re

import pytest

from tests.support import browser_login as login
from tests.support import lab_result as result_data
from tests.support import make_lab_job as make_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Terms a Chinese page keeps in English: units, metric and API names, libraries, formats.
TECHNICAL = set("""
CPU GPU CUDA MBU MB GB MiB GiB KB tok token tokens req TTFT TPOT ITL E2EL SLO goodput mean ms vLLM vllm PyTorch torch
torchao transformers fixture prefill decode logits chunk role usage stream_options include_usage completion_tokens
token_count_source numpy bench serve top-1 top- int fp32 bf16 fp16 int8 KL ppl compile Python DistServe GuideLLM
ok p50 p90 p99 NF4 bitsandbytes runner torch.compile stream_options.include_usage
batch batch_size num_prompts output_len output_len_max static_batch_size gen_len quality_tokens concurrency
output_tokens engines ttft_ms smollm2-135m SmolLM2 Instruct --continuous-batching transformers-cb vllm_settings
tiktoken peft passkey roofline Roofline
""".split())


# The page's prose: text outside code (<code>, <pre>, <samp>, <kbd>: file names, config fields, compiler output)
# and outside what HTML marks translate="no" (model and GPU names, links' addresses), hidden text included.
PROSE = """root => {
  const skip = 'code, pre, samp, kbd, script, style, [translate="no"]';
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest(skip)) parts.push(node.textContent);
  }
  return parts.join(' ');
}"""
# Words that are names, not prose: with a digit, an underscore or a dot inside, CamelCase, or an acronym.
IDENTIFIER = re.compile(r"[A-Za-z]+[0-9_.][A-Za-z0-9_.-]*|[A-Z][a-z]+[A-Z][A-Za-z]*|[A-Z]{2,}[a-z]?|[A-Z][A-Z0-9-]+")


def _names(result: dict) -> set[str]:
    """Configuration names the runner gives (precisions, engines) and the model: identifiers, not prose."""
    names = {str(result.get("model", ""))}
    for entry in result.get("precisions", []) + result.get("engines", []):
        names.update(str(entry.get(k, "")) for k in ("precision", "engine"))
    return {part for name in names for part in re.split(r"[^A-Za-z0-9_.-]+", name) if part}


def _backend_words(result: dict) -> set[str]:
    """A configuration's backend line is the library's own description of what ran (kept as the library says
    it, like a version string)."""
    words = set()
    for entry in result.get("precisions", []) + result.get("engines", []):
        words.update(re.findall(r"[A-Za-z][A-Za-z'_-]*", str(entry.get("backend", ""))))
    return words


@pytest.mark.parametrize(("name", "lab"), [
    ("quant-inference", "quant-inference"), ("vllm-batch", "vllm-batch"), ("serving-bench", "serving-bench"),
    ("finetune", "finetune"), ("long-context", "long-context"), ("cpp-tokenizer-ok", "cpp-tokenizer"),
    ("cpp-tokenizer-ce", "cpp-tokenizer"), ("kernels-gemm-blocked", "kernels"), ("kernels-softmax-starter", "kernels"),
    ("onnx-export", "onnx-export"), ("cross-model", "cross-model")])
def test_a_lab_job_page_in_chinese_has_no_english_words_beyond_technical_terms(page, live_server, user, name, lab):
    result = result_data(name)
    job = make_job(user, lab, result)
    login(page, live_server)
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page.goto(f"{live_server.url}/labs/jobs/{job.pk}/")
    text = page.locator('[data-testid="job-live"]').evaluate(PROSE)
    allowed = TECHNICAL | _names(result) | _backend_words(result)
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_'.-]*[A-Za-z0-9]|[A-Za-z]{2,}", text))
    english = sorted(w for w in words if w not in allowed and w.strip(".") not in allowed and len(w) > 2
                     and not IDENTIFIER.fullmatch(w.strip(".")))
    assert english == [], " ".join(english)
    assert "这个结果说明了什么" in text  # and it explains itself
