"""Every result explains itself (issue 18): each lab's rules (labs/kinds/<lab>.py `explain`) fire on the recorded
results where the anomaly is in the figures, stay quiet where it is not, link a knowledge-base section that
exists, and offer a "try next" link that opens the lab's form prefilled with a change the contract accepts."""

from __future__ import annotations

import copy
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import QueryDict

import labcontract
from labs import forms, registry
from tests.support import lab_job_page as page
from tests.support import lab_result as result_data
from tests.support import make_lab_job as make_job

FIRES = {
    # recorded result -> (lab, the rules its figures call for)
    "quant-inference": ("quant-inference", {"decode-bandwidth-bound", "int-slower-on-cpu",
                                             "peak-memory-not-weights", "quality-drift"}),
    "vllm-batch": ("vllm-batch", {"static-padding-waste", "continuous-beats-static", "static-no-gain-on-cpu"}),
    "serving-bench": ("serving-bench", {"ttft-queueing", "not-saturated"}),
    "finetune": ("finetune", {"truncated-at-seq-len", "task-score-low"}),
    "long-context": ("long-context", {"scaling-only-hurts", "linear-breaks-short"}),
    "cpp-tokenizer-ok": ("cpp-tokenizer", set()),
}


def codes(lab: str, result: dict) -> set[str]:
    return {r["code"] for r in registry.LABS[lab].explain(result)}


@pytest.mark.parametrize("name", FIRES)
def test_the_rules_fire_on_the_recorded_results_where_the_anomaly_is(name):
    lab, expected = FIRES[name]
    assert codes(lab, result_data(name)) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("name", [n for n, (_, want) in FIRES.items() if want])
def test_each_explanation_links_a_real_article_section_and_a_prefilled_form_the_contract_accepts(
        client_a, user, name):
    lab, expected = FIRES[name]
    html = page(client_a, make_job(user, lab, result_data(name)))
    block = html.split('data-testid="lab-explain"', 1)[1].split("</div>", 1)[0]
    for code in expected:
        assert f'data-testid="explain-{code}"' in block
    for url in set(re.findall(r'href="(/kb/[^"]+)"', block)):
        path, anchor = url.split("#")
        article = client_a.get(path)
        assert article.status_code == 200, url
        assert f'id="{anchor}"' in article.content.decode(), url
    tries = [u.replace("&amp;", "&") for u in re.findall(r'href="([^"]+)" data-testid="explain-try"', block)]
    assert tries
    for url in tries:
        query = urlsplit(url).query
        response = client_a.get(url)
        assert response.status_code == 200
        typed = QueryDict(query)
        params = forms.params_from_form(lab, typed)
        labcontract.validate("payload", {"job_id": 1, "attempt": 1, "lab": lab, "params": params})
        form = response.content.decode()
        for key, values in parse_qs(query).items():  # the suggested value is what the form shows
            if key in labcontract.LAB_PARAMS[lab]["properties"] and "\n" not in values[-1]:
                assert f'value="{values[-1]}"' in form or f">{values[-1]}<" in form or values[-1] in form, key


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_explanations_are_in_the_learners_language(client_a, user, lang):
    html = page(client_a, make_job(user, "vllm-batch", result_data("vllm-batch")), lang)
    if lang == "en":
        assert "What this result shows" in html and "padding" in html and "Try next" in html
        assert "补齐浪费" not in html
    else:
        assert "这个结果说明了什么" in html and "补齐浪费" in html


def test_a_try_link_keeps_the_jobs_parameters_and_changes_only_the_suggestion():
    from labs.explain import try_url

    url = try_url("finetune", {"steps": 12, "lr": 0.001, "target_modules": "all-linear", "seq_len": 256},
                  {"seq_len": 1024})
    query = parse_qs(urlsplit(url).query)
    assert query["seq_len"] == ["1024"] and query["steps"] == ["12"] and query["lr"] == ["0.001"]


def test_continuous_batching_slower_when_serving_is_explained_and_not_when_it_is_faster():
    result = result_data("serving-bench")
    plain = next(e for e in result["engines"] if e["engine"] == "transformers")
    cb = copy.deepcopy(plain)
    cb["engine"] = "transformers-cb"
    for level in cb["levels"]:
        level["output_throughput"] /= 3
    result["engines"].append(cb)
    assert "cb-slower-when-serving" in codes("serving-bench", result)
    for level in cb["levels"]:
        level["output_throughput"] *= 9
    assert "cb-slower-when-serving" not in codes("serving-bench", result)


def test_scaling_past_the_real_trained_length_and_a_one_sample_prefill_are_explained():
    result = result_data("long-context")
    result["trained_length_nominal"] = False
    result["model_trained_length"] = result["trained_length"] = 256
    plain = next(s for s in result["settings"] if s["setting"] == "none")
    for cell in plain["cells"]:
        if cell["length"] > 256:
            cell["perplexity"] *= 10
    dynamic = next(s for s in result["settings"] if s["setting"].startswith("dynamic"))
    dynamic["cells"][0]["prefill_s"] = plain["cells"][0]["prefill_s"] * 9
    found = codes("long-context", result)
    assert {"past-trained-length", "prefill-one-sample"} <= found
    assert "scaling-only-hurts" not in found  # dynamic and yarn now beat plain RoPE past 256


def test_the_quant_anomalies_stay_quiet_where_they_are_not_in_the_figures():
    result = result_data("quant-inference")
    fp32, int8 = result["precisions"][0], result["precisions"][1]
    int8["decode_tokens_per_s"] = fp32["decode_tokens_per_s"] * 2
    int8["memory"]["peak_rss_bytes"] = fp32["memory"]["peak_rss_bytes"] // 2
    int8["quality"]["top1_agreement"] = 0.99
    assert codes("quant-inference", result) == {"decode-bandwidth-bound"}


def test_a_tokenizer_that_fails_parity_or_the_invalid_utf8_contract_is_told_why():
    result = result_data("cpp-tokenizer-ok")
    result["documents_matched"] = 1
    result["first_mismatch"] = {"document": "02_chinese_prose.txt"}
    result["invalid_utf8"] = {"ok": False, "returncode": 0, "stderr": ""}
    rules = registry.LABS["cpp-tokenizer"].explain(result)
    assert [r["code"] for r in rules] == ["parity-failed", "invalid-utf8-contract"]
    assert "02_chinese_prose.txt" in rules[0]["text"] and "0" in rules[1]["text"]
