"""The long-context lab measures every RoPE setting at every length on this CPU (fixture model, one fresh child
process per setting): perplexity, prefill, KV-cache bytes and a full passkey grid, with the trained length it
used said plainly; bad inputs are refused naming the field."""

from __future__ import annotations

import jsonschema
import pytest

from gpu_runner.labs import LabContext, long_context
from labcontract import ContractError
from labcontract.labs.long_context import LONG_CONTEXT_PARAMS, LONG_CONTEXT_RESULT, check_long_context_params

LENGTHS = [320, 128]  # given unsorted: the lab runs them in ascending order
DEPTHS = [0.75, 0.25]
SETTINGS = [{"type": "none"}, {"type": "dynamic", "factor": 2}, {"type": "yarn", "factor": 2}]


def params_with_defaults(**overrides) -> dict:
    params = {k: v["default"] for k, v in LONG_CONTEXT_PARAMS["properties"].items() if "default" in v}
    params["model"] = "fixture"  # the fast tests' model (the lab's default is SmolLM2)
    params.update(overrides)
    jsonschema.validate(params, LONG_CONTEXT_PARAMS)
    return params


@pytest.fixture(scope="module")
def measured() -> dict:
    params = params_with_defaults(settings=SETTINGS, lengths=LENGTHS, passkey_depths=DEPTHS, passkey_trials=1,
                                  trained_length=192)
    return long_context.run(params, LabContext(device="cpu", capabilities={}, child_timeout_s=600))


def test_every_setting_has_a_perplexity_and_passkey_cell_for_every_length_and_depth(measured):
    jsonschema.validate(measured, LONG_CONTEXT_RESULT)
    assert measured["lengths"] == [128, 320] and measured["depths"] == [0.25, 0.75]
    assert [e["setting"] for e in measured["settings"]] == ["none", "dynamic×2", "yarn×2"]
    for entry in measured["settings"]:
        assert entry["status"] == "ok", entry
        assert [c["length"] for c in entry["cells"]] == [128, 320]
        for cell in entry["cells"]:
            assert cell["perplexity"] > 1 and cell["tokens_scored"] == cell["length"] - 1
            assert [d["depth"] for d in cell["passkey"]] == [0.25, 0.75]
            assert all(0.0 <= d["accuracy"] <= 1.0 and d["trials"] == 1 for d in cell["passkey"])
            assert cell["prefill_s"] > 0 and not cell["text_repeated"]


def test_kv_cache_grows_linearly_with_length(measured):
    # fixture: 4 layers x (K and V) x 2 KV heads x 32 dims x 4 bytes (fp32) per token
    per_token = 4 * 2 * 2 * 32 * 4
    for entry in measured["settings"]:
        assert [c["kv_cache_bytes"] for c in entry["cells"]] == [128 * per_token, 320 * per_token]


def test_dynamic_ntk_matches_plain_rope_below_the_trained_length_and_differs_beyond(measured):
    plain, dynamic, yarn = (e["cells"] for e in measured["settings"])
    assert dynamic[0]["nll"] == pytest.approx(plain[0]["nll"], abs=1e-6)  # 128 <= 192: nothing changes
    assert dynamic[1]["nll"] != pytest.approx(plain[1]["nll"], abs=1e-6)  # 320 > 192: rebased
    assert yarn[0]["nll"] != pytest.approx(plain[0]["nll"], abs=1e-6)  # YaRN applies at every length
    assert measured["settings"][2]["rope_parameters"]["original_max_position_embeddings"] == 192


def test_a_reduced_trained_length_is_reported_as_nominal(measured):
    assert measured["trained_length"] == 192 and measured["model_trained_length"] == 4096
    assert measured["trained_length_nominal"] is True
    assert any("nominal" in n and "4096" in n for n in measured["notes"])
    assert measured["model_rope"]["key"] == "rope_parameters"
    assert measured["published_reference"]["rows"][0]["perplexity"][2] == 39.35  # Qwen-7B at 4096, no NTK


def test_effective_length_is_the_longest_run_of_lengths_meeting_the_threshold():
    cells = [{"length": 128, "passkey_accuracy": 1.0}, {"length": 256, "passkey_accuracy": 0.9},
             {"length": 512, "passkey_accuracy": 0.2}, {"length": 1024, "passkey_accuracy": 1.0}]
    assert long_context.effective_length(cells, 0.8) == 256
    assert long_context.effective_length(cells, 0.95) == 128
    assert long_context.effective_length([{"length": 128, "passkey_accuracy": 0.0}], 0.5) is None


def test_a_passkey_prompt_is_exactly_the_length_with_the_key_at_its_depth():
    from gpu_runner.checkpoints.loading import load_tokenizer

    tok = load_tokenizer("fixture")
    for depth in (0.0, 0.5, 1.0):
        ids = long_context.passkey_prompt(tok, 300, depth, 48213)
        assert len(ids) == 300
        text = tok.decode(ids)
        assert text.count("48213") == 2 and text.endswith("The pass key is")
    early = tok.decode(long_context.passkey_prompt(tok, 300, 0.1, 48213)).index("48213")
    late = tok.decode(long_context.passkey_prompt(tok, 300, 0.9, 48213)).index("48213")
    assert early < late
    with pytest.raises(ValueError, match="too short for the passkey prompt"):
        long_context.passkey_prompt(tok, 40, 0.5, 48213)


@pytest.mark.parametrize("field, value", [("lengths", [64]), ("lengths", [200_000]), ("lengths", []),
                                          ("passkey_depths", [1.5]), ("trained_length", 8),
                                          ("settings", [{"type": "ntk", "factor": 2}])])
def test_out_of_range_inputs_fail_the_schema_at_their_field(field, value):
    params = params_with_defaults()
    params[field] = value
    with pytest.raises(jsonschema.ValidationError) as caught:
        jsonschema.validate(params, LONG_CONTEXT_PARAMS)
    assert list(caught.value.absolute_path)[:1] == [field]


def test_settings_and_cpu_lengths_are_checked_with_the_field_named():
    with pytest.raises(ContractError, match="needs a factor") as caught:
        check_long_context_params(params_with_defaults(settings=[{"type": "linear"}]))
    assert caught.value.field == "settings/0/factor"
    with pytest.raises(ContractError, match="takes no factor"):
        check_long_context_params(params_with_defaults(settings=[{"type": "none", "factor": 2}]))
    with pytest.raises(ContractError, match="beta_fast must be greater"):
        check_long_context_params(params_with_defaults(settings=[{"type": "yarn", "factor": 2, "beta_fast": 1,
                                                                  "beta_slow": 4}]))
    too_long = params_with_defaults(lengths=[1024, 16384])
    check_long_context_params(too_long, device="cuda")
    with pytest.raises(ContractError, match="beyond what a CPU runner finishes") as caught:
        long_context.run(too_long, LabContext(device="cpu", capabilities={}))
    assert caught.value.field == "lengths"
