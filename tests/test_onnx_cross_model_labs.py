"""The ONNX Runtime and cross-model labs: measured in-process on the fixture (real torch, real ONNX export and
ONNX Runtime sessions on this CPU), a sliding-window architecture's real cache, bad input named at its field, the
pages from a recorded real result (SmolLM2-135M beside Gemma 3 270M), and both labs through a real runner."""

from __future__ import annotations

import signal

import pytest

import labcontract
from gpu_runner.errors import Unsupported
from gpu_runner.labs import LabContext
from gpu_runner.labs import cross_model as cm
from labcontract.labs.cross_model import kv_bytes_per_token, parameter_estimate, plan_model_shapes
from tests.support import lab_job_page as page
from tests.support import lab_result as result_data
from tests.support import make_lab_job as make_job

CROSS = {"models": ["fixture", None], "prompt_len": 8, "gen_len": 3, "batch": 1, "repeats": 1, "warmup": 0,
         "kv_probe_len": 24}
ONNX = {"model": "fixture", "exporter": "torch-dynamo+ort-fusions", "precisions": ["fp32", "int8"],
        "providers": ["cpu"], "prompt_len": 8, "gen_len": 4, "repeats": 1, "warmup": 0, "quality_tokens": 16}


def _ctx() -> LabContext:
    return LabContext(device="cpu", capabilities={})


def tiny_gemma_dir(root) -> str:
    """A local Gemma 3 directory (random weights, 3 layers, two with an 8-token window) with a byte-level tokenizer,
    as a learner's own model directory on the runner would be."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, PreTrainedTokenizerFast

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {ch: i for i, ch in enumerate(sorted(alphabet))} | {"<eos>": 256}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<eos>").save_pretrained(root)
    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=300, hidden_size=64, intermediate_size=128, num_hidden_layers=3,
                              num_attention_heads=4, num_key_value_heads=1, head_dim=16, sliding_window=8,
                              layer_types=["sliding_attention", "sliding_attention", "full_attention"],
                              eos_token_id=256, pad_token_id=256, bos_token_id=None)
    Gemma3ForCausalLM(config).save_pretrained(root)
    return str(root)


@pytest.mark.slow
def test_cross_model_on_the_fixture_and_a_local_gemma_measures_what_the_config_predicts(tmp_path):
    params = labcontract.lab_params_with_defaults(
        "cross-model", {**CROSS, "models": ["fixture", tiny_gemma_dir(tmp_path)]}, queue="lab.cpu")
    result = cm.run(params, _ctx())
    labcontract.validate_result("cross-model", result)
    assert labcontract.result_failure("cross-model", result) is None
    a, b = result["models"]
    assert b["status"] == "ok", b
    assert [layer["tokens_held"] for layer in b["kv"]["layers"]] == [7, 7, 24]  # the window less one, and all
    assert b["config"]["sliding_window"] == 8 and b["config"]["qk_norm"] is True and b["params"]["tied"] is True
    assert b["text"]["zh"]["tokens_per_char"] == 3.0  # a byte-level tokenizer: three UTF-8 bytes a Han character
    for m in (a,):
        assert m["status"] == "ok", m
        p = m["params"]
        assert p["total"] == sum(p[k] for k in ("embedding", "lm_head", "attention", "mlp", "norm", "other"))
        assert p["total"] == 8_032_000 and p["tied"] is False and p["lm_head"] == p["embedding"]
        kv = m["kv"]  # 4 full layers x 2 (K, V) x 2 KV heads x 32 dims x 4 bytes = 2048 bytes a token
        assert kv["per_token_config"] == 2048
        assert kv["measured_bytes_at_probe"] == kv["config_bytes_at_probe"] == 2048 * 24
        assert [layer["tokens_held"] for layer in kv["layers"]] == [24] * 4
        for lang in ("en", "zh"):
            t = m["text"][lang]
            assert t["tokens"] > 10 and t["bits_per_byte"] > 0 and t["perplexity"] > 1
        assert m["speed"]["decode_tokens_per_s"] > 0


def test_a_sliding_window_layer_caps_the_cache_it_really_builds_at_the_window_less_one():
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=300, hidden_size=64, intermediate_size=128, num_hidden_layers=3,
                              num_attention_heads=4, num_key_value_heads=1, head_dim=16, sliding_window=8,
                              layer_types=["sliding_attention", "sliding_attention", "full_attention"])
    model = Gemma3ForCausalLM(config).eval()

    class Tok:
        def encode(self, text):
            return [ord(c) % 300 for c in text]

    with torch.inference_mode():
        kv = cm._kv(model, Tok(), 20, 4, "cpu")
    assert [layer["tokens_held"] for layer in kv["layers"]] == [7, 7, 20]
    per = 2 * 1 * 16 * 4
    assert kv["measured_bytes_at_probe"] == per * (7 + 7 + 20)
    assert kv["config_bytes_at_probe"] == per * (8 + 8 + 20)  # the config says the window; transformers keeps W-1
    assert cm.config_facts(config, True)["sliding_layers"] == 2


def test_the_plan_models_shapes_give_their_published_sizes_and_cite_their_config_files():
    shapes = {s["name"]: s for s in plan_model_shapes()}
    assert {"Qwen-7B", "Qwen2.5-7B", "Llama-3-8B", "Mistral-7B-v0.1", "Gemma-2-9B", "Gemma-3-1B"} <= set(shapes)
    assert all(s["source"].startswith("https://huggingface.co/") and s["source"].endswith("config.json")
               for s in shapes.values())
    assert round(parameter_estimate(shapes["Llama-3-8B"])["total"] / 1e9, 2) == 8.03
    assert kv_bytes_per_token(shapes["Llama-3-8B"]) == 32 * 2 * 8 * 128 * 2  # 128 KiB a token in bf16
    # Mistral's 4096-token window halves its per-token cache at 8192 tokens.
    mistral = shapes["Mistral-7B-v0.1"]
    assert kv_bytes_per_token(mistral, length=8192) == kv_bytes_per_token(mistral) / 2


@pytest.mark.parametrize(("lab", "params", "field"), [
    ("cross-model", {"models": ["smollm2-135m", "llama-70b"]}, "models/1"),
    ("cross-model", {"models": ["smollm2-135m"]}, "models"),
    ("cross-model", {"models": ["smollm2-135m", "fixture"], "kv_probe_len": 5000}, "kv_probe_len"),
    ("cross-model", {"models": ["fixture", "gemma3-270m"], "prompt_len": 4090, "gen_len": 16}, "prompt_len"),
    ("onnx-export", {"providers": ["cpu", "tensorrt"]}, "providers"),
    ("onnx-export", {"model": "qwen-72b"}, "model"),
    ("onnx-export", {"precisions": ["fp64"]}, "precisions/0"),
    ("onnx-export", {"model": "fixture", "quality_tokens": 4097}, "quality_tokens"),
])
def test_bad_input_is_refused_naming_its_field(lab, params, field):
    with pytest.raises(labcontract.ContractError) as caught:
        labcontract.lab_params_with_defaults(lab, params, queue="lab.cpu")
    assert caught.value.field == field and field.split("/")[0] in str(caught.value)


def test_a_model_the_runner_does_not_have_is_an_unsupported_entry_naming_the_field(tmp_path):
    params = {**CROSS, "models": ["fixture", str(tmp_path / "missing")]}
    result = cm.run(params, LabContext(device="cpu", capabilities={}, child_timeout_s=600))
    entry = result["models"][1]
    assert entry["status"] == "unsupported" and entry["reason"].startswith("models[1]: ")
    assert labcontract.result_failure("cross-model", result).startswith("fewer than two models were measured")


@pytest.mark.slow
def test_the_onnx_lab_exports_a_kv_cache_graph_that_matches_pytorch_and_refuses_what_is_absent():
    from gpu_runner.labs import onnx_export

    result = onnx_export.run({**ONNX, "providers": ["cpu", "cuda"]}, _ctx())
    labcontract.validate_result("onnx-export", result)
    graphs = {g["precision"]: g for g in result["export"]["graphs"]}
    assert graphs["fp32"]["cache_inputs"] == 2 * 4  # keys and values of every layer are graph inputs
    assert graphs["fp32"]["fused_ops"].get("GroupQueryAttention") == 4 and graphs["fp32"]["external_data"]
    assert graphs["int8"]["ops"].get("MatMulInteger") and graphs["int8"]["bytes"] < graphs["fp32"]["bytes"] / 2
    runs = {(r["precision"], r["provider"]): r for r in result["runs"]}
    fp32 = runs[("fp32", "cpu")]
    assert fp32["status"] == "ok" and fp32["parity"]["max_abs_logit_diff"] < 1e-3
    assert fp32["parity"]["top1_agreement"] == 1.0 and fp32["parity"]["greedy_identical_tokens"] == 4
    assert runs[("int8", "cpu")]["status"] == "ok" and runs[("int8", "cpu")]["parity"]["max_abs_logit_diff"] > 0
    cuda = runs[("fp32", "cuda")]
    assert cuda["status"] == "unsupported" and cuda["reason"].startswith("providers: CUDAExecutionProvider")
    assert result["pytorch"]["status"] == "ok" and fp32["decode_speedup_vs_pytorch"] > 0


@pytest.mark.slow
def test_an_exported_gemma_graph_keeps_its_sliding_window_cache_past_the_window(tmp_path):
    """Prompt and generation run past the tiny Gemma's 8-token window: ONNX Runtime's graph must drop the same
    old keys and values PyTorch's DynamicSlidingWindowLayer drops, or its logits part from PyTorch's."""
    from gpu_runner.labs import onnx_export

    result = onnx_export.run({**ONNX, "model": tiny_gemma_dir(tmp_path), "precisions": ["fp32"], "prompt_len": 12,
                              "gen_len": 6, "quality_tokens": 20}, _ctx())
    [run] = result["runs"]
    assert run["status"] == "ok", run
    assert run["parity"]["max_abs_logit_diff"] < 1e-3 and run["parity"]["greedy_identical_tokens"] == 6


def test_the_onnx_lab_names_an_exporter_the_runner_lacks():
    from gpu_runner.labs import onnx_export

    result = onnx_export.run({**ONNX, "exporter": "ort-genai-builder"}, _ctx())
    labcontract.validate_result("onnx-export", result)
    assert result["export"]["status"] == "unsupported" and result["export"]["reason"].startswith("exporter: ")
    assert labcontract.result_failure("onnx-export", result).startswith("export unsupported: exporter:")


def test_unsupported_lengths_past_a_local_models_context_name_the_field(tmp_path):
    with pytest.raises(Unsupported, match="^kv_probe_len: 5000 tokens is past"):
        cm.measure({**CROSS, "model": "fixture", "kv_probe_len": 5000, "device": "cpu"}, lambda f, s: None)


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_cross_model_page_sets_gemma_beside_smollm_with_differences_computed_from_the_result(
        client_a, user, lang):
    result = result_data("cross-model")
    html = page(client_a, make_job(user, "cross-model", result), lang)
    smol, gemma = result["models"]
    share = f"{gemma['params']['embedding'] / gemma['params']['total']:.0%}"
    assert "262,144" in html and share in html  # the vocabulary and the share of parameters it takes
    assert f"{gemma['kv']['sliding_tokens_held']}" in html and "gelu_pytorch_tanh" in html
    assert "https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json" in html
    assert f"{smol['text']['zh']['tokens_per_char']:.3f}" in html
    said = "spends" if lang == "en" else "把"
    assert f"<span translate=\"no\">{gemma['model_info']['name']}</span> {said}" in html  # a name, not prose


# ---- through a real runner ----------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_real_runner_runs_both_labs_on_the_fixture_and_the_site_stores_their_results(
        live_server, transactional_db, make_user, tmp_path):
    from django.conf import settings

    from labs.models import LabJob, Runner
    from tests.faultkit import kill_group, start_runner, wait_for
    from tests.support import finished_job as finished
    from tests.support import purge_queues
    from tests.support import queued_job as queued

    purge_queues(list(labcontract.QUEUES))
    owner = make_user("onnx-owner")
    runner, token = Runner.create_with_token(owner=owner, name="cpu-box")
    proc = start_runner(live_server.url, token, settings.CELERY_BROKER_URL, "onnxlabs", tmp_path / "runner.log")
    try:
        wait_for(lambda: Runner.objects.get(id=runner.id).is_online, 120, "runner online")
        cross = queued(owner, "cross-model", {**CROSS, "models": ["fixture", tiny_gemma_dir(tmp_path / "gemma")]})
        onnx = queued(owner, "onnx-export", {**ONNX, "precisions": ["fp32"]})
        cross, onnx = finished(cross, 600), finished(onnx, 600)
        log = (tmp_path / "runner.log").read_text(errors="replace")[-3000:]
        for job in (cross, onnx):
            assert job.status == LabJob.Status.SUCCEEDED, f"{job.lab}: {job.error}\n{log}"
            labcontract.validate_result(job.lab, job.result)
        assert [m["status"] for m in cross.result["models"]] == ["ok", "ok"]
        [run] = onnx.result["runs"]
        assert run["status"] == "ok" and run["parity"]["greedy_identical_tokens"] == 4
    finally:
        kill_group(proc, signal.SIGTERM)


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_onnx_page_sets_each_onnx_runtime_run_beside_pytorch_with_the_graphs_fused_ops(client_a, user, lang):
    result = result_data("onnx-export")
    html = page(client_a, make_job(user, "onnx-export", result), lang)
    fp32 = next(r for r in result["runs"] if r["precision"] == "fp32")
    assert "PyTorch fp32" in html and "ORT fp32 / CPU" in html and "ORT int8 / CPU" in html
    assert f"{fp32['parity']['greedy_identical_tokens']}/{fp32['parity']['greedy_tokens']}" in html
    assert "GroupQueryAttention" in html and "MatMulNBits" in html
    assert ("(external data)" if lang == "en" else "（外部数据文件）") in html
    int8 = next(g for g in result["export"]["graphs"] if g["precision"] == "int8")
    (a, na), (b, nb) = sorted(int8["ops"].items(), key=lambda kv: -kv[1])[:2]  # JSONB keeps no key order
    assert f"{a} {na}, {b} {nb}" in html  # the most frequent ops first
    assert "https://onnxruntime.ai/docs/performance/model-optimizations/quantization.html" in html
    said = "one graph with its KV cache" if lang == "en" else "带 KV 缓存的单图"
    assert said in html


@pytest.mark.django_db
def test_a_busy_runner_is_named_beside_the_speeds_it_timed(client_a, user):
    result = result_data("onnx-export")
    result["pytorch"]["host_load"] = {"before": 1.2, "after": 6.5, "cpus": 2}
    result["runs"][0]["host_load"] = {"before": 0.5, "after": 1.5, "cpus": 2}
    html = page(client_a, make_job(user, "onnx-export", result), "en")
    assert "load average reached 6.5 on 2 CPUs" in html and "While PyTorch fp32 was measured" in html
    quiet = result_data("onnx-export")
    quiet["pytorch"]["host_load"] = {"before": 0.5, "after": 1.5, "cpus": 2}
    assert "load average reached" not in page(client_a, make_job(user, "onnx-export", quiet), "en")

