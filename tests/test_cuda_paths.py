"""The runner's CUDA paths, checked on this CPU-only machine where they can be: which back-end and settings each
path chooses (int4 packing, compiled int8 weight-only, vLLM's memory share and prefix cache), the messages when a
path cannot run, prefill and decode timed inside one generate call, the chunked quality pass, and the runner
images. bench/gpu_check.py runs the paths themselves on a GPU. Test doubles: a stand-in `vllm` module (vLLM needs
CUDA) and tests.support.FakeNvml (no NVIDIA driver here)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import labcontract
from gpu_runner.checkpoints import loading as models
from gpu_runner.errors import Unsupported
from gpu_runner.labs import quant_inference, vllm_batch
from gpu_runner.measure import gpu_memory
from tests.support import FakeNvml

ROOT = Path(__file__).resolve().parent.parent
GIB = 1024**3


# ---- vLLM's share of GPU memory ------------------------------------------------------------------------


def test_vllm_takes_what_is_free_less_headroom_never_more_than_its_default():
    idle = gpu_memory.choose_fraction(requested=None, free=139 * GIB, total=140 * GIB, weight_bytes=3 * GIB)
    assert idle == 0.9  # vLLM's own default caps it
    busy = gpu_memory.choose_fraction(requested=None, free=10 * GIB, total=24 * GIB, weight_bytes=3 * GIB)
    assert busy == 0.37  # (10 - 1) / 24 = 0.375, rounded down
    assert busy * 24 * GIB <= 10 * GIB - gpu_memory.HEADROOM_BYTES  # vLLM's start-up check will pass


def test_too_little_free_memory_is_refused_with_the_figures():
    with pytest.raises(Unsupported) as exc:
        gpu_memory.choose_fraction(requested=None, free=3 * GIB, total=24 * GIB, weight_bytes=3 * GIB)
    msg = str(exc.value)
    assert msg.startswith("too little free GPU memory for vLLM")
    assert "3.0 GiB of this GPU's 24.0 GiB are free" in msg and "needs about 4.0 GiB" in msg


def test_a_requested_share_is_used_as_given_or_refused_saying_why():
    assert gpu_memory.choose_fraction(requested=0.5, free=20 * GIB, total=24 * GIB, weight_bytes=GIB) == 0.5
    with pytest.raises(Unsupported, match=r"gpu_memory_utilization 0.90 asks vLLM for 21.6 GiB, but only 20.0 GiB"):
        gpu_memory.choose_fraction(requested=0.9, free=20 * GIB, total=24 * GIB, weight_bytes=GIB)
    with pytest.raises(Unsupported, match=r"0.05 gives vLLM 1.2 GiB, less than the model's weights \(3.0 GiB\)"):
        gpu_memory.choose_fraction(requested=0.05, free=20 * GIB, total=24 * GIB, weight_bytes=3 * GIB)


def test_vllm_batch_params_take_an_optional_memory_share():
    assert labcontract.lab_params_with_defaults("vllm-batch", {})["gpu_memory_utilization"] is None
    assert labcontract.lab_params_with_defaults("vllm-batch", {"gpu_memory_utilization": 0.6})[
        "gpu_memory_utilization"] == 0.6
    for bad in (0, 0.99, "0.8"):
        with pytest.raises(labcontract.ContractError) as exc:
            labcontract.lab_params_with_defaults("vllm-batch", {"gpu_memory_utilization": bad})
        assert exc.value.field == "gpu_memory_utilization"


class FakeVllm:
    """Test double of the `vllm` module: records LLM(**kwargs) and finishes every request in one engine step."""

    __version__ = "0.33.0"

    def __init__(self) -> None:
        self.llm_kwargs: dict[str, Any] = {}
        fake = self

        class Engine:
            def __init__(self) -> None:
                self.pending: list[tuple[str, Any]] = []

            def add_request(self, request_id: str, prompt: Any, sp: Any) -> None:
                self.pending.append((request_id, sp))

            def has_unfinished_requests(self) -> bool:
                return bool(self.pending)

            def step(self) -> list[Any]:
                done, self.pending = self.pending, []
                return [types.SimpleNamespace(finished=True, request_id=r, outputs=[
                    types.SimpleNamespace(token_ids=[1] * sp.max_tokens)]) for r, sp in done]

        class LLM:
            def __init__(self, **kwargs: Any) -> None:
                fake.llm_kwargs = kwargs
                self.llm_engine = Engine()

            def generate(self, prompts: Any, params: Any, use_tqdm: bool = False) -> list[Any]:
                return []

        self.LLM = LLM
        self.SamplingParams = lambda **kw: types.SimpleNamespace(**kw)


def test_vllm_engine_starts_with_the_chosen_share_and_no_prefix_cache(monkeypatch, tmp_path):
    fake = FakeVllm()
    monkeypatch.setitem(sys.modules, "vllm", fake)
    monkeypatch.setattr(gpu_memory, "free_memory", lambda: (10 * GIB, 24 * GIB))
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"\0" * 1000)
    spec = {**labcontract.lab_params_with_defaults("vllm-batch", {"model": str(tmp_path)}), "dtype": "bf16"}
    workload = [{"prompt": [5, 6, 7], "output_len": 4}, {"prompt": [8], "output_len": 9}]
    serve = vllm_batch._vllm_engine(spec, workload)
    kw = fake.llm_kwargs
    assert kw["gpu_memory_utilization"] == 0.37 and kw["enable_prefix_caching"] is False
    assert kw["max_model_len"] == 10 and kw["dtype"] == "bfloat16"
    run = serve(lambda f: None)
    assert run["generated_tokens"] == 13 and "gpu_memory_utilization 0.37, prefix caching off" in run["backend"]
    assert run["vllm_settings"] == {"gpu_memory_utilization": 0.37, "requested": None,
                                    "gpu_free_bytes_at_start": 10 * GIB, "gpu_total_bytes": 24 * GIB,
                                    "enable_prefix_caching": False}


def test_free_memory_is_read_through_nvml_without_a_cuda_context(monkeypatch):
    nvml = FakeNvml()
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert gpu_memory.free_memory() == ((141 << 30) - (6 << 30), 141 << 30)


# ---- quant-inference: which back-end each precision gets ----------------------------------------------


def test_int4_on_cuda_uses_the_tinygemm_packing_of_the_installed_torchao():
    from torchao.quantization import Int4WeightOnlyConfig
    from torchao.quantization.quantize_.workflows import Int4PackingFormat

    config = Int4WeightOnlyConfig(group_size=128, int4_packing_format=models.INT4_CUDA_PACKING)
    assert config.int4_packing_format == Int4PackingFormat.TILE_PACKED_TO_4D


def test_int4_is_refused_before_spawning_on_a_gpu_older_than_ampere():
    reason = models.support_reason("int4", cuda=True, checkpoints={}, compute_capability=(7, 5))
    assert reason and "compute capability 8.0" in reason and "this GPU has 7.5" in reason
    assert models.support_reason("int4", cuda=True, checkpoints={}, compute_capability=(8, 0)) is None
    assert models.compute_capability({"cuda_devices": [{"compute_capability": "9.0"}]}) == (9, 0)
    assert models.compute_capability({"cuda_devices": []}) is None


def test_awq_and_gptq_are_checked_through_gptqmodel_not_autoawq(monkeypatch, tmp_path):
    (tmp_path / "config.json").write_text("{}")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("gptqmodel", "optimum", "awq") else real(name, *a))
    awq = models.support_reason("awq", cuda=True, checkpoints={"awq": str(tmp_path)})
    gptq = models.support_reason("gptq", cuda=True, checkpoints={"gptq": str(tmp_path)})
    assert awq.startswith("gptqmodel is not installed") and "AWQ checkpoints through gptqmodel" in awq
    assert gptq.startswith("gptqmodel and optimum are not installed")
    assert "requirements-cuda-quant.txt" in awq and "autoawq" not in awq + gptq
    cpu = models.support_reason("awq", cuda=False, checkpoints={})
    assert "no CUDA device" in cpu and "autoawq" not in cpu


def test_the_runner_reports_gptqmodel_and_optimum_versions_not_autoawq():
    from gpu_runner.service.capabilities import probe

    versions = probe(check_vllm=False)["versions"]
    assert {"gptqmodel", "optimum", "torchao"} <= set(versions) and "autoawq" not in versions


# ---- quant-inference: timing inside one generate call ---------------------------------------------------


def test_a_run_that_cannot_be_split_is_refused_with_its_reason():
    assert quant_inference.split_generate(10.0, 10.25, 11.0) == (0.25, 0.75)
    with pytest.raises(ValueError, match="streamed no first token"):
        quant_inference.split_generate(10.0, None, 11.0)
    # The old method subtracted a separately timed prefill median: a generate timed faster than that gave a
    # clamped 1e-9 s decode and ~7e9 tokens/s. Within one call a non-positive phase cannot pass.
    with pytest.raises(ValueError, match="non-positive phase"):
        quant_inference.split_generate(10.0, 11.0, 11.0)


def _spec(tmp_path: Path, **over: Any) -> dict[str, Any]:
    params = labcontract.lab_params_with_defaults("quant-inference", {
        "model": "fixture", "precisions": ["fp32"], "prompt_len": 8, "gen_len": 5, "repeats": 3, "warmup": 1,
        "quality_tokens": 24})
    return {**params, "precision": "fp32", "device": "cpu", "is_reference": True,
            "reference_logprobs": str(tmp_path / "ref.npy"), **over}


@pytest.mark.slow
def test_prefill_and_decode_come_from_the_same_generate_call(tmp_path):
    out = quant_inference.measure(_spec(tmp_path), lambda f, s: None)
    prefill, decode, total = out["prefill_latency_s"], out["decode_latency_s"], out["generate_latency_s"]
    assert prefill["n"] == decode["n"] == total["n"] == 3  # no separate prefill-only runs any more
    assert 0 < prefill["min"] and 0 < decode["min"] and prefill["max"] < total["max"]
    assert total["mean"] == pytest.approx(prefill["mean"] + decode["mean"], rel=1e-6)
    assert out["decode_tokens_per_s"] == pytest.approx(1 * 4 / decode["median"])
    assert out["compiled"] is False and out["memory"]["cuda_load_max_allocated_bytes"] is None
    assert out["quality"]["top1_agreement"] == 1.0 and out["quality"]["mean_kl"] == pytest.approx(0, abs=1e-9)


@pytest.mark.slow
def test_a_configuration_whose_every_run_is_refused_fails_saying_why(tmp_path, monkeypatch):
    class NeverFirst(quant_inference.FirstTokenClock):
        def put(self, value: Any) -> None:
            pass

    monkeypatch.setattr(quant_inference, "FirstTokenClock", NeverFirst)
    with pytest.raises(RuntimeError, match=r"every timed run was refused: run 1: generate streamed no first token"):
        quant_inference.measure(_spec(tmp_path, repeats=2), lambda f, s: None)


def test_chunked_quality_pass_equals_the_full_vocabulary_forward():
    import torch
    from transformers import AutoModelForCausalLM

    from gpu_runner.checkpoints.loading import model_path

    model = AutoModelForCausalLM.from_pretrained(model_path("fixture"), dtype=torch.float32).eval()
    ids = torch.randint(0, 8000, (1, 40), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        full = torch.log_softmax(model(input_ids=ids).logits[0, :-1].float(), dim=-1)
        chunked = quant_inference.chunked_logprobs(model, ids, chunk=7)  # 39 positions: 5 full chunks and 4 left
    assert chunked.shape == full.shape == (39, model.config.vocab_size)
    assert torch.allclose(chunked, full, atol=1e-5)


def test_mbu_reads_the_quantized_head_but_one_row_of_the_embedding_table():
    import torch
    from torchao.quantization import Int8WeightOnlyConfig, quantize_
    from transformers import AutoModelForCausalLM

    from gpu_runner.checkpoints.loading import model_path
    from gpu_runner.measure.nvml import bytes_read_per_token
    from gpu_runner.measure.timing import weight_bytes

    model = AutoModelForCausalLM.from_pretrained(model_path("fixture"), dtype=torch.float32).eval()
    quantize_(model, Int8WeightOnlyConfig())  # the untied head becomes a torchao tensor subclass
    emb = model.get_input_embeddings()
    table = weight_bytes(emb)
    assert bytes_read_per_token(model) == weight_bytes(model) - table + table // emb.weight.shape[0]


def test_compilation_is_one_setting_for_every_precision_of_a_job_and_only_on_cuda():
    compiled, extra, warmup, said = quant_inference.decode_plan(True, "cuda", 0)
    # A static KV cache is what makes transformers compile the decode forward on CUDA.
    assert compiled and extra == {"cache_implementation": "static"} and warmup == 1
    assert "torch.compile'd" in said["backend"] and "compilation" in said["notes"][0]
    assert quant_inference.decode_plan(True, "cuda", 3)[2:] == (3, {"backend": said["backend"]})
    for requested, device in ((False, "cuda"), (True, "cpu")):
        assert quant_inference.decode_plan(requested, device, 2) == (False, {}, 2, {})
    assert labcontract.lab_params_with_defaults("quant-inference", {})["compile"] is False
    with pytest.raises(labcontract.ContractError) as exc:
        labcontract.lab_params_with_defaults("quant-inference", {"compile": "yes"})
    assert exc.value.field == "compile"
    assert quant_inference.TELEMETRY_MAX_SAMPLES * 9 <= 2000  # nine precisions stay far under the body limit


def test_a_compile_request_on_a_cpu_runner_is_unsupported_for_every_precision_before_anything_starts():
    from gpu_runner.labs import LabContext

    spawned = []
    ctx = LabContext(device="cpu", capabilities={}, progress=lambda p, s: spawned.append(s) and False)
    params = labcontract.lab_params_with_defaults("quant-inference", {
        "model": "fixture", "precisions": ["fp32", "int8-wo"], "compile": True})
    result = quant_inference.run(params, ctx)
    assert [(e["precision"], e["status"]) for e in result["precisions"]] == [("fp32", "unsupported"),
                                                                          ("int8-wo", "unsupported")]
    assert all("compiles generate()'s decode step on CUDA only" in e["reason"] for e in result["precisions"])
    assert result["settings"]["compile"] is True and spawned == ["done"]
    labcontract.validate_result("quant-inference", result)


def test_compiled_means_the_run_compiled_graphs_not_that_the_plan_asked():
    import torch

    class Tiny(torch.nn.Module):  # dynamo traces model code, not torch.nn's own Linear.forward
        def __init__(self) -> None:
            super().__init__()
            self.proj = torch.nn.Linear(4, 4)

        def forward(self, x: Any) -> Any:
            return self.proj(x).relu()

    model = Tiny()
    before = quant_inference.compiled_graphs()
    eager = quant_inference.compile_evidence(model, True, before)
    assert eager["compiled"] is False and eager["compiled_call"] is False  # asked, but nothing was compiled
    model._compiled_call = torch.compile(model.__call__, backend="eager")  # as transformers' get_compiled_call
    model._compiled_call(torch.ones(2, 4))
    shown = quant_inference.compile_evidence(model, True, before)
    assert shown["compiled"] is True and shown["graphs"] > eager["graphs"]
    assert shown["graphs_in_timed_runs"] == shown["graphs"] - before  # compiled after the "timed runs" began
    assert quant_inference.compile_evidence(model, False, before)["compiled"] is False  # not asked: eager figures


def test_the_quantized_share_counts_the_linear_weights_a_precision_really_quantized():
    import torch
    from torchao.quantization import Int8WeightOnlyConfig, quantize_
    from transformers import AutoModelForCausalLM

    from gpu_runner.checkpoints.loading import model_path

    model = AutoModelForCausalLM.from_pretrained(model_path("fixture"), dtype=torch.float32).eval()
    assert quant_inference.quantized_share(model)["share"] == 0.0
    # As torchao's int4 does with SmolLM2-135M (in-features 576, not a multiple of 128): only down_proj changes.
    quantize_(model, Int8WeightOnlyConfig(), filter_fn=lambda m, name: name.endswith("down_proj"))
    share = quant_inference.quantized_share(model)
    layers, hidden, mlp, vocab = 4, 256, 1024, 8256
    per_layer = hidden * hidden * 2 + hidden * 64 * 2 + hidden * mlp * 3  # q, o; k, v (2 KV heads of 32); MLP
    assert share["linear_parameters"] == layers * per_layer + hidden * vocab  # the untied head counts too
    assert share["quantized_parameters"] == layers * hidden * mlp
    assert share["float_layers"] == {"q_proj": 4, "k_proj": 4, "v_proj": 4, "o_proj": 4, "gate_proj": 4,
                                     "up_proj": 4, "lm_head": 1}
    assert share["share"] == pytest.approx(layers * hidden * mlp / share["linear_parameters"])


def test_continuous_batching_gets_its_page_size_under_the_name_this_transformers_uses():
    import dataclasses

    from transformers import ContinuousBatchingConfig

    installed = vllm_batch.page_size_field(ContinuousBatchingConfig, 64)
    assert ContinuousBatchingConfig(**installed, num_blocks=4)
    names = {f.name for f in dataclasses.fields(ContinuousBatchingConfig)}
    assert installed == ({"page_size": 64} if "page_size" in names else {"block_size": 64})

    @dataclasses.dataclass
    class FieldsOf517:  # transformers 5.17.0's ContinuousBatchingConfig fields (page_size= is a TypeError there)
        block_size: int = 256
        num_blocks: int | None = None

    assert vllm_batch.page_size_field(FieldsOf517, 64) == {"block_size": 64}
    with pytest.raises(Unsupported, match="neither page_size nor block_size"):
        vllm_batch.page_size_field(dataclasses.make_dataclass("Other", [("num_blocks", int)]), 64)


def test_the_runner_numbers_cuda_devices_in_pci_bus_order_like_nvml(monkeypatch):
    from gpu_runner import cli
    from gpu_runner.measure import nvml as telemetry

    monkeypatch.setenv("CUDA_DEVICE_ORDER", "FASTEST_FIRST")  # CUDA's default, which NVML does not follow
    monkeypatch.setattr(cli, "probe", lambda **kwargs: {"probe": "stand-in"})
    assert cli.main(["--probe"]) == 0
    assert os.environ["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert telemetry.nvml_handle(FakeNvml(), None) == 1  # CUDA's device 1 is NVML's device 1 now


# ---- the runner images -------------------------------------------------------------------------------------

IMAGES = {"gpu_runner.Dockerfile": "requirements-cuda.txt",
          "gpu_runner-quant.Dockerfile": "requirements-cuda-quant.txt",
          "gpu_runner-vllm.Dockerfile": "requirements-cuda-vllm.txt"}
DECLARED = json.loads((ROOT / "tests" / "data" / "cuda_requirements.json").read_text())


@pytest.mark.parametrize("dockerfile, requirements", IMAGES.items())
def test_each_cuda_environment_has_an_image_on_a_cuda13_devel_base(dockerfile, requirements):
    text = (ROOT / dockerfile).read_text()
    base = re.search(r"^FROM nvidia/cuda:(\d+)\.(\d+)\.\d+-devel-ubuntu[\d.]+$", text, re.M)
    assert base, f"{dockerfile}: the base must be a CUDA devel image (nvcc, headers)"
    assert (int(base[1]), int(base[2])) >= (13, 0)
    apt = re.search(r"apt-get install -y --no-install-recommends ([^&]+)&&", text, re.S)[1].split()
    assert {"python3.11", "python3.11-dev", "g++", "bubblewrap", "libpcre2-dev", "libre2-dev", "pkg-config"} <= set(apt)
    installs = re.findall(r"pip install --no-cache-dir -r (\S+)", text)
    assert installs == [f"gpu_runner/{requirements}"]
    assert "driver >= 580.65.06" in text
    torch = DECLARED["environments"][requirements]["resolved"]["torch"]  # what pip resolved for this set
    needs = DECLARED["distributions"][f"torch=={torch}"]["requires_dist"]
    assert any(r.startswith("nvidia-cudnn-cu13==") for r in needs)  # the wheel is a CUDA 13 build
