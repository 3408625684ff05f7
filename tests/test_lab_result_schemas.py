"""labcontract.RESULT_SCHEMAS: real lab results fit their lab's schema; a broken one is refused with the field
named (the runner and the site both call validate_result); a check that did not run is a failure."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import labcontract
from labcontract.labs import cpp_tokenizer as cpp_contract

DATA = Path(__file__).parent / "data" / "lab_results"


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["quant-inference", "vllm-batch", "cpp-tokenizer-ok", "cpp-tokenizer-ce",
                                  "serving-bench", "finetune", "long-context", "kernels-gemm-blocked",
                                  "kernels-gemm-naive", "kernels-softmax-starter"])
def test_real_results_fit_their_labs_schema(name):
    result = load(name)
    labcontract.validate_result(result["lab"], result)


def test_every_lab_has_a_result_schema():
    assert set(labcontract.RESULT_SCHEMAS) == set(labcontract.LABS)


def _refused(lab: str, result) -> labcontract.ContractError:
    with pytest.raises(labcontract.ContractError) as info:
        labcontract.validate_result(lab, result)
    return info.value


@pytest.mark.parametrize(("lab", "name", "break_it", "field", "words"), [
    ("quant-inference", "quant-inference", lambda r: r["precisions"][0].pop("decode_tokens_per_s"),
     "result/precisions/0", "decode_tokens_per_s"),
    ("quant-inference", "quant-inference", lambda r: r["precisions"][1].update(weight_bytes="12 MB"),
     "result/precisions/1/weight_bytes", "integer"),
    ("quant-inference", "quant-inference", lambda r: r["precisions"][2].pop("reason"), "result/precisions/2",
     "reason"),
    ("vllm-batch", "vllm-batch", lambda r: r["engines"][0]["latency_s"].update(p99=None),
     "result/engines/0/latency_s/p99", "number"),
    ("vllm-batch", "vllm-batch", lambda r: r.pop("engines"), "result", "engines"),
    ("cpp-tokenizer", "cpp-tokenizer-ok", lambda r: r.update(exact_match_rate=1.5), "result/exact_match_rate",
     "maximum"),
    ("cpp-tokenizer", "cpp-tokenizer-ok", lambda r: r.update(status="PASSED"), "result/status", "PASSED"),
    ("cpp-tokenizer", "cpp-tokenizer-ok", lambda r: r["throughput"].pop("candidate_mb_s"), "result/throughput", ""),
    ("cpp-tokenizer", "cpp-tokenizer-ok", lambda r: r.pop("documents"), "result", "documents"),
    ("cpp-tokenizer", "cpp-tokenizer-ce", lambda r: r.pop("message"), "result", "message"),
    ("serving-bench", "serving-bench", lambda r: r["engines"][0]["levels"][1].pop("ttft_ms"),
     "result/engines/0/levels/1", "ttft_ms"),
    ("serving-bench", "serving-bench", lambda r: r["engines"][0].update(levels=[]), "result/engines/0/levels",
     "non-empty"),
    ("serving-bench", "serving-bench", lambda r: r["engines"][1].pop("reason"), "result/engines/1", "reason"),
    ("finetune", "finetune", lambda r: r.pop("s_per_step"), "result", "s_per_step"),
    ("finetune", "finetune", lambda r: r["after"].update(task_score="high"), "result/after/task_score", "high"),
    ("finetune", "finetune", lambda r: r["parameters"].pop("trainable_percent"), "result/parameters",
     "trainable_percent"),
    ("finetune", "finetune", lambda r: r.update(status="unsupported"), "result", "reason"),
    ("long-context", "long-context", lambda r: r["settings"][0]["cells"][1].pop("perplexity"),
     "result/settings/0/cells/1", "perplexity"),
    ("long-context", "long-context", lambda r: r["settings"][2].pop("effective_length"), "result/settings/2",
     "effective_length"),
    ("long-context", "long-context", lambda r: r["settings"][0]["cells"][0].update(prefill_s=None),
     "result/settings/0/cells/0/prefill_s", "number"),
])
def test_a_broken_result_is_refused_naming_the_field(lab, name, break_it, field, words):
    result = copy.deepcopy(load(name))
    break_it(result)
    error = _refused(lab, result)
    assert error.field == field, str(error)
    assert f"(at {field})" in str(error) and words in str(error) and str(error).startswith(f"{lab} result:")


def test_a_result_for_another_lab_is_refused():
    assert _refused("vllm-batch", load("quant-inference")).field == "result"


def test_a_lab_without_a_schema_needs_only_an_object():
    labcontract.validate_result("some-new-lab", {"anything": [1, 2]})
    assert _refused("some-new-lab", [1, 2]).field == "result"


def test_a_check_that_did_not_run_is_a_failure_with_the_compiler_message():
    ce = load("cpp-tokenizer-ce")
    failure = labcontract.result_failure("cpp-tokenizer", ce)
    assert failure.startswith("CE: ") and "qwen_tokenizer.h: No such file or directory" in failure
    assert cpp_contract.missing_headers(ce["message"]) == ["qwen_tokenizer.h"]
    assert labcontract.result_failure("cpp-tokenizer", load("cpp-tokenizer-ok")) is None
    assert labcontract.result_failure("quant-inference", load("quant-inference")) is None
    assert cpp_contract.missing_headers("a.cpp:3:1: error: expected ';'") == []


def test_a_lab_run_that_measured_nothing_is_a_failure_with_the_reason():
    finetune = load("finetune")
    assert labcontract.result_failure("finetune", finetune) is None
    unsupported = {**finetune, "status": "unsupported", "reason": "Q-LoRA NF4 needs bitsandbytes"}
    assert labcontract.result_failure("finetune", unsupported) == "unsupported: Q-LoRA NF4 needs bitsandbytes"
    serving = load("serving-bench")
    assert labcontract.result_failure("serving-bench", serving) is None  # one engine ran, one was unsupported
    serving["engines"] = [e for e in serving["engines"] if e["status"] != "ok"]
    failure = labcontract.result_failure("serving-bench", serving)
    assert failure.startswith("no engine was measured: vllm unsupported: ") and "CUDA" in failure
    longctx = load("long-context")
    assert labcontract.result_failure("long-context", longctx) is None
    longctx["settings"] = [{"setting": "yarn×4", "status": "error", "error": "out of memory"}]
    assert labcontract.result_failure("long-context", longctx) == ("no setting was measured: yarn×4 error: "
                                                                   "out of memory")


def test_a_quant_or_batch_job_on_a_model_it_could_not_load_fails_with_every_reason():
    """The /etc/passwd job of issue 18: every precision unsupported -> failed, naming each precision's reason."""
    quant = load("quant-inference")
    quant["precisions"] = [{"precision": p, "status": "unsupported", "reason": f"{p}: not a model directory"}
                           for p in ("fp32", "bf16")] + [{"precision": "int8", "status": "error", "error": "boom"}]
    labcontract.validate_result("quant-inference", quant)
    failure = labcontract.result_failure("quant-inference", quant)
    assert failure.startswith("no precision was measured: fp32 unsupported: ")
    assert "bf16 unsupported" in failure and "int8 error: boom" in failure
    batch = load("vllm-batch")
    assert labcontract.result_failure("vllm-batch", batch) is None
    batch["engines"] = [{"engine": "vllm", "status": "unsupported", "reason": "vLLM is not installed"}]
    assert labcontract.result_failure("vllm-batch", batch) == ("no engine was measured: vllm unsupported: "
                                                               "vLLM is not installed")
