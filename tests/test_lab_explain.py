"""Every result explains itself (issue 18): each lab's rules (labs/kinds/<lab>.py `explain`) fire on the recorded
results where the anomaly is in the figures, stay quiet where it is not, link a knowledge-base section that
exists, and offer a "try next" link that opens the lab's form prefilled with a change the contract accepts."""

from __future__ import annotations

import copy
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import QueryDict
from django.utils import translation

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
    "cpp-tokenizer-ok": ("cpp-tokenizer", {"invalid-utf8-rejected", "speed-vs-tiktoken"}),
    "cpp-tokenizer-ce": ("cpp-tokenizer", {"compile-error"}),
    "kernels-gemm-blocked": ("kernels", {"roofline-bound", "share-of-library"}),
    "kernels-gemm-naive": ("kernels", {"roofline-bound", "share-of-library", "naive-gap"}),
    "kernels-softmax-starter": ("kernels", {"wrong-answer"}),
    "onnx-export": ("onnx-export", {"quantized-drift", "ort-vs-eager", "graph-fusions"}),
    "cross-model": ("cross-model", {"embedding-share", "gqa-kv-bytes", "sliding-window-cache", "tied-embeddings",
                                    "quality-vs-gguf"}),
}
# The job's parameters where a lab's form needs more than its defaults (the kernel lab's source is required).
PARAMS = {
    "kernels-gemm-blocked": {"problem": "gemm", "target": "cpu", "source": "extern \"C\" void gemm();\n"},
    "kernels-gemm-naive": {"problem": "gemm", "target": "cpu", "source": "extern \"C\" void gemm();\n"},
    "kernels-softmax-starter": {"problem": "softmax", "target": "cpu", "source": "extern \"C\" void softmax();\n"},
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
    html = page(client_a, make_job(user, lab, result_data(name), params=PARAMS.get(name)))
    block = html.split('data-testid="lab-explain"', 1)[1].split("</div>", 1)[0]
    for code in expected:
        assert f'data-testid="explain-{code}"' in block
    for url in set(re.findall(r'href="(/kb/[^"]+)"', block)):
        path, anchor = url.split("#")
        article = client_a.get(path)
        assert article.status_code == 200, url
        assert f'id="{anchor}"' in article.content.decode(), url
    tries = [u.replace("&amp;", "&") for u in re.findall(r'href="([^"]+)" data-testid="explain-try"', block)]
    offered = [r for r in registry.LABS[lab].explain(result_data(name)) if r["try"] or r["form_section"]]
    assert len(tries) == len(offered)
    for url in tries:
        query, fragment = urlsplit(url).query, urlsplit(url).fragment
        response = client_a.get(url)
        assert response.status_code == 200
        if fragment:  # the form opens at a section of its page (the tokenizer's contract, a kernel problem)
            assert f'id="{fragment}"' in response.content.decode(), url
        if registry.LABS[lab].upload:
            continue  # an upload form is not prefilled: the link opens it where the fix is explained
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


def test_a_tokenizer_is_told_its_speed_only_when_every_document_matches():
    result = result_data("cpp-tokenizer-ok")
    rules = {r["code"]: r for r in registry.LABS["cpp-tokenizer"].explain(result)}
    assert "11.9" in rules["speed-vs-tiktoken"]["text"] and "1.70" in rules["speed-vs-tiktoken"]["text"]
    assert "pcre2, re2" in rules["speed-vs-tiktoken"]["text"]
    result["throughput"]["ratio"] = 0.4
    assert "0.40" in registry.LABS["cpp-tokenizer"].explain(result)[-1]["text"]
    result["exact_match_rate"] = 0.5
    assert "speed-vs-tiktoken" not in codes("cpp-tokenizer", result)


def test_a_build_that_failed_is_told_its_first_compiler_error_and_opens_the_contract():
    rules = registry.LABS["cpp-tokenizer"].explain(result_data("cpp-tokenizer-ce"))
    assert [r["code"] for r in rules] == ["compile-error"]
    assert "qwen_tokenizer.cpp:9:10: fatal error: qwen_tokenizer.h" in rules[0]["text"]
    assert rules[0]["form_section"] == "contract"
    assert "compile-error" not in codes("cpp-tokenizer", result_data("cpp-tokenizer-ok"))


def test_the_kernel_rules_read_the_roofline_the_library_and_the_naive_loop_from_the_figures():
    blocked = registry.LABS["kernels"].explain(result_data("kernels-gemm-blocked"))
    roof = next(r for r in blocked if r["code"] == "roofline-bound")
    assert "170.67" in roof["text"] and "5.62" in roof["text"] and "68.5%" in roof["text"]
    library = next(r for r in blocked if r["code"] == "share-of-library")
    assert "OpenBLAS" in library["text"] and "2.14" in library["text"]  # the small size that "beat" the library
    assert library["try"] == {"threads": 1}
    naive = next(r for r in registry.LABS["kernels"].explain(result_data("kernels-gemm-naive"))
                 if r["code"] == "naive-gap")
    assert "1.86" in naive["text"] and "0.14" in naive["text"] and naive["form_section"] == "problem-gemm"


@pytest.mark.parametrize(("share", "ahead"), [(1.6, True), (1.0, False), (0.5, False)])
def test_a_kernel_ahead_of_the_library_is_told_so_and_asked_to_check_the_comparison(share, ahead):
    result = result_data("kernels-gemm-blocked")
    result["sizes"][-1]["share_of_library"] = share
    with translation.override("zh-hans"):
        library = next(r for r in registry.LABS["kernels"].explain(result) if r["code"] == "share-of-library")
    assert ("比它快" in library["text"]) is ahead and ("已经和它相当" in library["text"]) is (share == 1.0)
    with translation.override("en"):
        english = next(r for r in registry.LABS["kernels"].explain(result) if r["code"] == "share-of-library")
    assert ("ahead of it" in english["text"]) is ahead


def test_a_memory_bound_kernel_is_told_its_bound_is_bandwidth_and_a_kernel_without_the_library_is_not_compared():
    result = result_data("kernels-gemm-blocked")
    last = result["sizes"][-1]
    last["intensity"] = 2.0
    last.pop("share_of_library")
    rules = {r["code"]: r for r in registry.LABS["kernels"].explain(result)}
    assert set(rules) == {"roofline-bound"}
    assert "5.20" in rules["roofline-bound"]["text"]  # 2 FLOP/B × 2.601 GB/s


def test_a_wrong_answer_says_where_and_what_the_tolerance_means():
    rule = registry.LABS["kernels"].explain(result_data("kernels-softmax-starter"))[0]
    assert "[6][0]" in rule["text"] and "nan" in rule["text"] and "88.7" in rule["text"]
    assert rule["try"] == {"sizes": [[128, 1000]]}
    result = result_data("kernels-softmax-starter")
    result["sizes"][0]["first_bad"]["got"] = 0.5
    assert "88.7" not in registry.LABS["kernels"].explain(result)[0]["text"]
    assert codes("kernels", result_data("kernels-gemm-blocked")).isdisjoint({"wrong-answer"})


def test_the_onnx_rules_stay_quiet_where_the_figures_show_nothing():
    result = result_data("onnx-export")
    for run in result["runs"]:
        run["parity"].update(top1_agreement=0.98, mean_kl=0.01)
        run["decode_speedup_vs_pytorch"] = 1.05
    assert codes("onnx-export", result) == {"graph-fusions"}
    for graph in result["export"]["graphs"]:
        graph["fused_ops"] = {}
    result["export"]["exporter"] = "torch-dynamo"
    rules = registry.LABS["onnx-export"].explain(result)
    assert [r["code"] for r in rules] == ["no-fusions"]
    assert rules[0]["try"] == {"exporter": "torch-dynamo+ort-fusions"}


def test_onnx_drift_and_speed_name_the_figures():
    rules = {r["code"]: r for r in registry.LABS["onnx-export"].explain(result_data("onnx-export"))}
    assert "50%" in rules["quantized-drift"]["text"] and "1/16" in rules["quantized-drift"]["text"]
    assert "2.63" in rules["ort-vs-eager"]["text"] and "22.4" in rules["ort-vs-eager"]["text"]  # the noisy repeat
    assert rules["ort-vs-eager"]["try"] == {"repeats": 6}
    assert "GroupQueryAttention" in rules["graph-fusions"]["text"]


def test_the_cross_model_rules_stay_quiet_for_models_without_the_difference():
    result = result_data("cross-model")
    for m in result["models"]:
        m["config"].update(num_key_value_heads=m["config"]["num_attention_heads"], sliding_layers=0,
                           sliding_window=None)
        m["params"].update(embedding=m["params"]["total"] // 5, tied=False)
        m["model_info"]["source"] = "a local bf16 safetensors directory"
    assert codes("cross-model", result) == set()


def test_a_window_the_probe_did_not_pass_is_said_to_not_show_yet_and_the_try_passes_it():
    result = result_data("cross-model")
    result["models"][1]["kv"]["probe_len"] = 256
    rule = next(r for r in registry.LABS["cross-model"].explain(result) if r["code"] == "sliding-window-cache")
    assert "256" in rule["text"] and rule["try"] == {"kv_probe_len": 2048}
    gguf = next(r for r in registry.LABS["cross-model"].explain(result) if r["code"] == "quality-vs-gguf")
    assert "Q4_K_M" in gguf["text"] and "Q4_1" in gguf["text"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["kernels-gemm-naive", "onnx-export", "cross-model", "cpp-tokenizer-ce"])
def test_the_new_explanations_have_no_chinese_in_english(client_a, user, name):
    lab = FIRES[name][0]
    html = page(client_a, make_job(user, lab, result_data(name), params=PARAMS.get(name)), "en")
    block = html.split('data-testid="lab-explain"', 1)[1].split("</div>", 1)[0]
    assert "What this result shows" in block
    assert not re.search(r"[\u4e00-\u9fff]", block), re.findall(r"[^<>]*[\u4e00-\u9fff][^<>]*", block)[:3]
