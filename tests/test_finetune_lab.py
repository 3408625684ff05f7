"""The fine-tuning lab trains a real peft LoRA adapter on this CPU (fixture model, built-in ReAct set, a fresh
child process) and reports what a learner reads: a falling loss, peft's parameter count, the adapter on disk
that reloads to the same model, every evaluation figure; bad inputs are refused naming the line or field."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import jsonschema
import pytest

from gpu_runner.labs import LabContext, finetune
from labcontract import ContractError
from labcontract.labs.finetune import (
    FINETUNE_PARAMS,
    FINETUNE_RESULT,
    DatasetError,
    check_finetune_params,
    validate_dataset_jsonl,
)

# Fixture: hidden 256, 4 layers, 8 query heads of 32 dims, 2 KV heads, MLP 1024 (gpu_runner/checkpoints/fixture.py).
FIXTURE_LINEARS = {"q_proj": (256, 256), "k_proj": (256, 64), "v_proj": (256, 64), "o_proj": (256, 256),
                   "gate_proj": (256, 1024), "up_proj": (256, 1024), "down_proj": (1024, 256)}
FIXTURE_LAYERS = 4
FIXTURE_PARAMETERS = 8_032_000


def params_with_defaults(**overrides) -> dict:
    params = {k: v["default"] for k, v in FINETUNE_PARAMS["properties"].items() if "default" in v}
    params["model"] = "fixture"  # the fast tests' model (the lab's default is SmolLM2)
    params.update(overrides)
    jsonschema.validate(params, FINETUNE_PARAMS)
    return params


def lora_count(rank: int, modules: list[str]) -> int:
    """r * (d_in + d_out) per adapted Linear (A is r x d_in, B is d_out x r)."""
    return FIXTURE_LAYERS * sum(rank * sum(FIXTURE_LINEARS[m]) for m in modules)


def ctx() -> LabContext:
    return LabContext(device="cpu", capabilities={}, child_timeout_s=600)


@pytest.fixture(scope="module")
def trained():
    import shutil

    params = params_with_defaults(steps=6, lr=5e-3, lr_scheduler="constant", seq_len=512, eval_examples=2,
                                  eval_max_new_tokens=8)
    result = finetune.run(params, ctx())
    yield result
    if result.get("adapter"):
        shutil.rmtree(result["adapter"]["path"], ignore_errors=True)


def test_lora_loss_falls_and_held_out_loss_improves(trained):
    assert trained["status"] == "ok", trained
    curve = trained["loss_curve"]
    assert len(curve) == 6 and all(x == x for x in curve)  # one finite loss per optimizer step, no NaN
    assert curve[-1] < curve[0] - 0.5
    assert trained["after"]["heldout_loss"] < trained["before"]["heldout_loss"]
    assert trained["after"]["heldout_perplexity"] < trained["before"]["heldout_perplexity"]


def test_the_result_fits_its_schema_and_reports_every_figure(trained):
    jsonschema.validate(trained, FINETUNE_RESULT)
    assert trained["dataset"]["train_examples"] == 60 and trained["dataset"]["heldout_examples"] == 16
    assert trained["s_per_step"] > 0 and len(trained["step_seconds"]) == 6
    assert trained["tokens_per_s"] > trained["supervised_tokens_per_s"] > 0
    assert trained["memory"]["peak_rss_bytes"] > 0 and trained["memory"]["cuda_max_allocated_bytes"] is None
    for side in ("before", "after"):
        figures = trained[side]
        assert figures["scored"] == 2 and 0.0 <= figures["task_score"] <= 1.0
        assert len(figures["samples"]) == 2 and figures["samples"][0]["expected_tool"] == "get_weather"
    reference = trained["published_reference"]
    assert reference["seq_len"] == 512 and reference["exact_length"]
    assert {"model": "Qwen-7B", "method": "Q-LoRA", "memory_gb": 11.5, "s_per_it": 3.0} in reference["rows"]


def test_trainable_parameters_are_pefts_count_and_match_the_analytic_lora_size(trained):
    expected = lora_count(8, list(FIXTURE_LINEARS))  # "all-linear": every Linear but the output head
    figures = trained["parameters"]
    assert figures["trainable"] == expected == 176_128
    assert figures["total"] == FIXTURE_PARAMETERS + expected
    assert figures["trainable_percent"] == pytest.approx(100 * expected / (FIXTURE_PARAMETERS + expected))
    assert figures["adapted_modules"] == FIXTURE_LAYERS * len(FIXTURE_LINEARS)


def test_chosen_modules_and_rank_give_the_analytic_count():
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from gpu_runner.checkpoints.fixture import fixture_dir

    model = AutoModelForCausalLM.from_pretrained(fixture_dir())
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    trainable, total = peft_model.get_nb_trainable_parameters()
    assert trainable == lora_count(4, ["q_proj", "v_proj"]) == 13_312
    assert total == FIXTURE_PARAMETERS + trainable


def test_the_saved_adapter_reloads_and_gives_the_same_model(trained):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from gpu_runner.checkpoints.fixture import fixture_dir
    from gpu_runner.checkpoints.loading import load_tokenizer

    adapter = trained["adapter"]
    path = Path(adapter["path"])
    assert {"adapter_config.json", "adapter_model.safetensors"} <= set(adapter["files"])
    assert adapter["bytes"] == sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    assert adapter["bytes"] >= 4 * 176_128  # fp32 A and B matrices
    assert adapter["reload_max_abs_diff"] is not None and adapter["reload_max_abs_diff"] < 1e-4
    # Independently of the lab: reload here and recompute the held-out loss it reported after training.
    base = AutoModelForCausalLM.from_pretrained(fixture_dir())
    model = PeftModel.from_pretrained(base, str(path)).eval()
    chat = finetune.ChatFormat(load_tokenizer("fixture"))
    _, held, _ = finetune.load_examples({"dataset": "builtin"})
    encoded = [chat.encode(e, 512) for e in held]
    spec = {"batch_size": 2, "seq_len": 512, "eval_max_new_tokens": 8}
    figures = finetune.evaluate(model, chat, encoded, [], spec, torch.device("cpu"))
    assert figures["heldout_loss"] == pytest.approx(trained["after"]["heldout_loss"], abs=1e-4)
    assert figures["heldout_loss"] < trained["before"]["heldout_loss"]


def test_react_generations_are_scored_on_tool_name_and_json_input():
    good = 'Thought: check it\nAction: get_weather\nAction Input: {"city": "Hangzhou"}\nObservation: made up'
    assert finetune.score_generation("get_weather", good)["correct"]
    assert not finetune.score_generation("calculator", good)["correct"]
    broken = "Thought: check it\nAction: get_weather\nAction Input: {city: Hangzhou}"
    assert finetune.score_generation("get_weather", broken) == {"tool": "get_weather", "right_tool": True,
                                                                "json_ok": False, "correct": False}
    assert finetune.score_generation(None, "Thought: easy\nFinal Answer: Tokyo.")["correct"]
    assert not finetune.score_generation(None, good)["correct"]


def test_chatml_supervises_only_the_assistant_text_and_its_end_token():
    from gpu_runner.checkpoints.loading import load_tokenizer

    tok = load_tokenizer("fixture")
    chat = finetune.ChatFormat(tok)
    assert chat.chatml
    example = {"conversations": [{"from": "user", "value": "Hi"}, {"from": "assistant", "value": "Hello there"}]}
    ids, labels, cut = chat.encode(example, 512)
    supervised = [t for t in labels if t != finetune.IGNORE]
    assert supervised == tok.encode("Hello there") + [chat.end] and not cut
    assert len(ids) == len(labels)
    assert chat.prompt(example, 512) == ids[:len(ids) - len(tok.encode("Hello there")) - 2]


def _jsonl(*objects) -> str:
    return "\n".join(o if isinstance(o, str) else json.dumps(o) for o in objects) + "\n"


GOOD = {"id": "a", "conversations": [{"from": "user", "value": "q"}, {"from": "assistant", "value": "a"}]}


@pytest.mark.parametrize("bad, message", [
    ('{"id": "b", "conversations": [', "line 2: not valid JSON"),
    ({"id": "b", "conversations": []}, 'line 2: "conversations" must be a non-empty list'),
    ({"id": "b", "conversations": [{"from": "bot", "value": "x"}]}, "line 2: conversations[0].from is 'bot'"),
    ({"id": "b", "conversations": [{"from": "assistant", "value": "x"}]}, 'line 2: conversations[0].from is '
                                                                         '"assistant" where a "user"'),
    ({"id": "b", "conversations": [{"from": "user", "value": "x"}]}, "line 2: no assistant turn with text"),
    ({"id": "b", "conversations": [{"from": "user", "value": 3}]}, 'line 2: conversations[0] must be an object'),
    ("[1, 2]", "line 2: expected a JSON object"),
])
def test_a_malformed_line_is_refused_naming_its_number_and_the_problem(bad, message):
    with pytest.raises(DatasetError, match=message.replace("[", r"\[").replace("]", r"\]")) as caught:
        validate_dataset_jsonl(_jsonl(GOOD, bad))
    assert caught.value.line == 2 and caught.value.field == "train_jsonl:2"
    assert isinstance(caught.value, ContractError)  # the site's form handling catches the contract's error


def test_blank_lines_are_skipped_and_an_empty_file_is_refused():
    assert len(validate_dataset_jsonl(_jsonl(GOOD, "", GOOD))) == 2
    with pytest.raises(DatasetError, match="no examples"):
        validate_dataset_jsonl("\n\n")


def test_a_bad_upload_is_refused_before_anything_is_trained():
    params = params_with_defaults(dataset="upload", train_jsonl=_jsonl(GOOD, GOOD, '{"conversations": 5}'))
    with pytest.raises(DatasetError, match="train_jsonl line 3"):
        finetune.run(params, ctx())
    with pytest.raises(ContractError, match="needs the JSONL text"):
        check_finetune_params(params_with_defaults(dataset="upload"))
    held_bad = params_with_defaults(dataset="upload", train_jsonl=_jsonl(GOOD, GOOD), heldout_jsonl="nope")
    with pytest.raises(DatasetError, match="heldout_jsonl line 1: not valid JSON"):
        check_finetune_params(held_bad)


@pytest.mark.parametrize("field, value", [("rank", 0), ("method", "full"), ("seq_len", 8), ("lr", 0),
                                          ("target_modules", []), ("steps", 0)])
def test_bad_parameters_fail_the_schema_at_their_field(field, value):
    params = params_with_defaults()
    params[field] = value
    with pytest.raises(jsonschema.ValidationError) as caught:
        jsonschema.validate(params, FINETUNE_PARAMS)
    assert list(caught.value.absolute_path)[:1] == [field]


def test_qlora_on_gptq_is_unsupported_on_a_cpu_job_with_the_reason():
    result = finetune.run(params_with_defaults(method="qlora-gptq"), ctx())
    assert result["status"] == "unsupported" and "CUDA" in result["reason"]
    jsonschema.validate(result, FINETUNE_RESULT)


@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is not None,
                    reason="bitsandbytes is installed here: the NF4 probe would run for real")
def test_qlora_nf4_without_bitsandbytes_is_unsupported_not_faked():
    result = finetune.run(params_with_defaults(method="qlora-nf4"), ctx())
    assert result["status"] == "unsupported" and "bitsandbytes" in result["reason"]
