"""labcontract.lab_params_with_defaults, the one check the site runs before queueing a lab job and the runner
runs again before measuring: every lab's parameters, its own checks (a dataset line by line, SLOs, loopback
URLs, RoPE factors) and, given the queue, whether that queue can run them; each refusal names the field."""

from __future__ import annotations

import json

import pytest

import labcontract

GOOD_LINE = json.dumps({"id": "a", "conversations": [{"from": "user", "value": "q"},
                                                     {"from": "assistant", "value": "a"}]})


def refused(lab: str, params: dict, queue: str | None = None) -> labcontract.ContractError:
    with pytest.raises(labcontract.ContractError) as info:
        labcontract.lab_params_with_defaults(lab, params, queue=queue)
    return info.value


def test_every_lab_has_parameters_queues_and_a_result_schema_in_the_contract():
    assert labcontract.LABS == ("quant-inference", "vllm-batch", "serving-bench", "cpp-tokenizer", "finetune",
                                "long-context", "kernels", "onnx-export", "cross-model")
    assert set(labcontract.LAB_PARAMS) == set(labcontract.LAB_QUEUES) == set(labcontract.RESULT_SCHEMAS) == set(
        labcontract.LABS)
    for lab, queues in labcontract.LAB_QUEUES.items():
        assert queues and all(q in labcontract.QUEUES for q in queues), lab
        assert list(queues) == sorted(queues, key=labcontract.QUEUES.index), f"{lab}: least capable first"
    for lab in labcontract.LABS:
        labcontract.validate("payload", {"job_id": 1, "attempt": 1, "lab": lab, "params": {}})
    with pytest.raises(labcontract.ContractError, match="unknown lab"):
        labcontract.validate("payload", {"job_id": 1, "attempt": 1, "lab": "no-such-lab", "params": {}})


@pytest.mark.parametrize("lab", ["serving-bench", "finetune", "long-context", "onnx-export", "cross-model"])
def test_the_new_labs_defaults_are_filled_and_pass_their_own_checks_on_a_cpu_queue(lab):
    filled = labcontract.lab_params_with_defaults(lab, {}, queue="lab.cpu")
    assert set(filled) == {k for k, v in labcontract.LAB_PARAMS[lab]["properties"].items() if "default" in v}


def test_a_bad_line_in_an_uploaded_dataset_is_refused_naming_the_line():
    error = refused("finetune", {"dataset": "upload", "train_jsonl": "\n".join([GOOD_LINE, GOOD_LINE, "{oops"])},
                    "lab.cpu")
    assert error.field == "train_jsonl:3" and "train_jsonl line 3: not valid JSON" in str(error)
    assert refused("finetune", {"dataset": "upload"}).field == "train_jsonl"


def test_a_bad_slo_and_a_non_loopback_url_are_refused_naming_the_field():
    error = refused("serving-bench", {"slo": {"ttft_ms": -1}})
    assert error.field == "slo/ttft_ms" and "positive number of milliseconds" in str(error)
    error = refused("serving-bench", {"base_url": "http://10.0.0.5:8000"})
    assert error.field == "base_url" and "not a loopback address" in str(error)
    error = refused("serving-bench", {"request_rates": [10], "duration_s": 60, "max_requests_per_level": 16})
    assert error.field == "request_rates/0"


def test_a_rope_scaling_without_its_factor_and_a_length_a_cpu_cannot_finish_are_refused():
    error = refused("long-context", {"settings": [{"type": "yarn"}]})
    assert error.field == "settings/0/factor"
    error = refused("long-context", {"lengths": [1024, 16384]}, "lab.cpu")
    assert error.field == "lengths" and "use a CUDA runner" in str(error)
    assert labcontract.lab_params_with_defaults("long-context", {"lengths": [1024, 16384]}, queue="lab.cuda")


@pytest.mark.parametrize(("lab", "params", "queue", "field", "words"), [
    ("finetune", {"method": "qlora-nf4"}, "lab.cpu", "method", "queue the job on lab.cuda"),
    ("finetune", {"method": "qlora-gptq"}, "lab.cpu", "method", "needs a CUDA GPU"),
    ("serving-bench", {"engines": ["transformers", "vllm"]}, "lab.cpu", "engines", "lab.vllm"),
    ("serving-bench", {"engines": ["vllm"]}, "lab.cuda", "engines", "needs a runner with vLLM"),
    ("cpp-tokenizer", {"files": {"a.cpp": ""}}, "lab.cuda", "queue", "runs on lab.cpu"),
    ("finetune", {}, "lab.vllm", "queue", "does not run on lab.vllm"),
])
def test_params_that_need_more_than_the_queue_offers_are_refused_naming_what_they_need(lab, params, queue, field,
                                                                                       words):
    error = refused(lab, params, queue)
    assert error.field == field and words in str(error)


def test_the_queues_that_can_run_demanding_params_accept_them():
    assert labcontract.lab_params_with_defaults("finetune", {"method": "qlora-nf4"}, queue="lab.cuda")
    assert labcontract.lab_params_with_defaults("serving-bench", {"engines": ["vllm"]}, queue="lab.vllm")
    # An external server on the runner needs no engine of the runner's own.
    assert labcontract.lab_params_with_defaults("serving-bench", {"engines": ["vllm"],
                                                                  "base_url": "http://127.0.0.1:8000"},
                                                queue="lab.cpu")
    # Without a queue (a runner driven directly) only the parameters are checked.
    assert labcontract.lab_params_with_defaults("finetune", {"method": "qlora-gptq"})["method"] == "qlora-gptq"
