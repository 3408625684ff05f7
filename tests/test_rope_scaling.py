"""The RoPE settings the long-context lab applies produce transformers' frequencies, and those match the formulas
(linear θ/s; dynamic NTK's base change only past the trained length; YaRN's per-dimension ramp and attention
factor). Built on the fixture's config: head_dim 32, θ 10000."""

from __future__ import annotations

import json
import math

import pytest
import torch

from gpu_runner.labs.long_context.rope import (
    apply_setting,
    inverse_frequencies,
    model_rope_source,
    model_trained_length,
)

L0 = 256


@pytest.fixture
def config():
    from transformers import AutoConfig

    from gpu_runner.checkpoints.fixture import fixture_dir

    return AutoConfig.from_pretrained(fixture_dir())


def plain(theta: float = 10000.0, dim: int = 32) -> torch.Tensor:
    return 1.0 / theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim)


def test_plain_rope_is_theta_to_the_minus_2i_over_d(config):
    apply_setting(config, {"type": "none"}, L0)
    freqs, scale = inverse_frequencies(config)
    assert freqs.shape == (16,) and scale == 1.0
    assert torch.allclose(freqs.double(), plain(), rtol=1e-6)


def test_linear_scaling_divides_every_frequency_by_the_factor(config):
    applied = apply_setting(config, {"type": "linear", "factor": 4}, L0)
    assert applied == {"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0}
    freqs, scale = inverse_frequencies(config)
    assert torch.allclose(freqs.double(), plain() / 4, rtol=1e-6) and scale == 1.0


def test_dynamic_ntk_is_plain_up_to_the_trained_length_and_rebased_beyond(config):
    s, d = 4.0, 32
    apply_setting(config, {"type": "dynamic", "factor": s}, L0)
    assert config.max_position_embeddings == L0
    for n in (16, 128, L0):
        freqs, _ = inverse_frequencies(config, seq_len=n)
        assert torch.allclose(freqs.double(), plain(), rtol=1e-6), n
    for n in (L0 + 1, 2 * L0, 8 * L0):
        base = 10000.0 * ((s * n / L0) - (s - 1)) ** (d / (d - 2))
        freqs, _ = inverse_frequencies(config, seq_len=n)
        assert torch.allclose(freqs.double(), plain(base), rtol=1e-5), n
        assert freqs[0] == pytest.approx(1.0)  # the fastest dimension is never slowed
        assert freqs[-1] < plain()[-1]  # the slowest is stretched


def test_dynamic_ntk_changes_the_model_only_past_the_trained_length(config):
    from transformers import AutoModelForCausalLM

    from gpu_runner.checkpoints.fixture import fixture_dir

    plain_model = AutoModelForCausalLM.from_pretrained(fixture_dir()).eval()
    apply_setting(config, {"type": "dynamic", "factor": 4}, 64)
    ntk_model = AutoModelForCausalLM.from_pretrained(fixture_dir(), config=config).eval()
    short, long = torch.arange(1, 65)[None], torch.arange(1, 129)[None]
    with torch.inference_mode():
        assert torch.equal(plain_model(short).logits, ntk_model(short).logits)
        assert not torch.allclose(plain_model(long).logits, ntk_model(long).logits, atol=1e-4)


def test_yarn_ramps_between_interpolation_and_extrapolation_per_dimension(config):
    s, d, beta_fast, beta_slow = 4.0, 32, 32.0, 1.0
    applied = apply_setting(config, {"type": "yarn", "factor": s}, L0)
    assert applied["original_max_position_embeddings"] == L0
    freqs, scale = inverse_frequencies(config)
    assert scale == pytest.approx(0.1 * math.log(s) + 1)

    def dim_for(rotations: float) -> float:  # the dimension that turns `rotations` times over L0 tokens
        return d * math.log(L0 / (rotations * 2 * math.pi)) / (2 * math.log(10000.0))

    low, high = max(math.floor(dim_for(beta_fast)), 0), min(math.ceil(dim_for(beta_slow)), d - 1)
    ramp = ((torch.arange(d // 2, dtype=torch.float64) - low) / (high - low)).clamp(0, 1)
    expected = plain() / s * ramp + plain() * (1 - ramp)
    assert torch.allclose(freqs.double(), expected, rtol=1e-5)
    # fast dimensions are extrapolated (unchanged), slow ones interpolated (divided by s), the middle blended
    assert freqs[0] == pytest.approx(1.0) and freqs[-1] == pytest.approx(float(plain()[-1] / s), rel=1e-5)
    middle = (ramp > 0) & (ramp < 1)
    assert middle.any() and ((freqs.double() < plain()) & (freqs.double() > plain() / s))[middle].all()


def test_yarn_beta_settings_move_the_ramp(config):
    apply_setting(config, {"type": "yarn", "factor": 4}, L0)
    default, _ = inverse_frequencies(config)
    apply_setting(config, {"type": "yarn", "factor": 4, "beta_fast": 8, "beta_slow": 2}, L0)
    narrow, _ = inverse_frequencies(config)
    assert not torch.allclose(default, narrow)


def test_a_model_config_with_the_old_rope_scaling_key_is_recognised_and_kept(tmp_path, config):
    from transformers import AutoConfig

    from gpu_runner.checkpoints.fixture import fixture_dir

    raw = json.loads((fixture_dir() / "config.json").read_text())
    raw.pop("rope_parameters", None)
    raw.update({"rope_theta": 10000.0, "rope_scaling": {"type": "linear", "factor": 2.0}})
    (tmp_path / "config.json").write_text(json.dumps(raw))
    assert model_rope_source(tmp_path) == {"key": "rope_scaling", "value": {"type": "linear", "factor": 2.0}}
    assert model_rope_source(fixture_dir())["key"] == "rope_parameters"
    old = AutoConfig.from_pretrained(tmp_path)
    kept = apply_setting(old, {"type": "model"}, L0)
    assert kept["rope_type"] == "linear" and kept["factor"] == 2.0
    freqs, _ = inverse_frequencies(old)
    assert torch.allclose(freqs.double(), plain() / 2, rtol=1e-6)


def test_trained_length_comes_from_the_scaled_configs_original_length(config):
    assert model_trained_length(config) == 4096
    apply_setting(config, {"type": "yarn", "factor": 4}, 512)
    assert model_trained_length(config) == 512


def test_an_unknown_setting_type_is_refused(config):
    with pytest.raises(ValueError, match="unknown RoPE setting type 'ntk'"):
        apply_setting(config, {"type": "ntk", "factor": 2}, L0)
