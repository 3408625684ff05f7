"""RoPE settings for the long-context lab, expressed as transformers' own `rope_parameters` so the frequencies
come from transformers' ROPE_INIT_FUNCTIONS (the code a deployed model runs), never from a copy here.

With d the rotary dimension, θ the base and L0 the trained length: linear(s) divides every inverse frequency
by s; dynamic NTK(s) uses θ' = θ·((s·L/L0) − (s − 1))^(d/(d−2)) for a sequence of length L > L0 and plain RoPE
up to L0 (transformers reads L0 from max_position_embeddings); YaRN(s) blends interpolation (θ^(-2i/d)/s) and
extrapolation per dimension with a linear ramp between the dimensions that turn beta_fast and beta_slow times
over L0 (read from original_max_position_embeddings), and scales cos/sin by 0.1·ln(s) + 1.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

ROPE_TYPES = ("none", "model", "linear", "dynamic", "yarn")
SCALED_TYPES = ("linear", "dynamic", "yarn")


def setting_name(setting: dict[str, Any]) -> str:
    kind = setting["type"]
    if kind not in SCALED_TYPES:
        return kind
    name = f"{kind}×{setting['factor']:g}"
    if kind == "yarn" and ("beta_fast" in setting or "beta_slow" in setting):
        name += f" (β {setting.get('beta_fast', 32):g}/{setting.get('beta_slow', 1):g})"
    return name


def model_rope_source(model_dir: Path) -> dict[str, Any]:
    """Which key the model's own config.json uses for RoPE scaling: transformers 5's `rope_parameters`, the
    4.x `rope_scaling`, or neither (plain RoPE with `rope_theta`)."""
    raw = json.loads((Path(model_dir) / "config.json").read_text())
    for key in ("rope_parameters", "rope_scaling"):
        if raw.get(key):
            return {"key": key, "value": raw[key]}
    return {"key": None, "value": None}


def model_trained_length(config: Any) -> int:
    """The model's own trained context: original_max_position_embeddings of a scaled config, else
    max_position_embeddings."""
    params = getattr(config, "rope_parameters", None) or {}
    return int(params.get("original_max_position_embeddings") or getattr(config, "original_max_position_embeddings",
                                                                         None) or config.max_position_embeddings)


def apply_setting(config: Any, setting: dict[str, Any], trained_length: int) -> dict[str, Any]:
    """Set config's rope_parameters (and the length fields transformers reads L0 from) for one setting; return
    the rope_parameters applied. "model" keeps the model's own configuration (whichever key it came from)."""
    theta = float(config.rope_parameters["rope_theta"])
    kind = setting["type"]
    if kind == "model":
        return copy.deepcopy(dict(config.rope_parameters))
    if kind == "none":
        params: dict[str, Any] = {"rope_type": "default", "rope_theta": theta}
    elif kind == "linear":
        params = {"rope_type": "linear", "rope_theta": theta, "factor": float(setting["factor"])}
    elif kind == "dynamic":
        params = {"rope_type": "dynamic", "rope_theta": theta, "factor": float(setting["factor"])}
        config.max_position_embeddings = trained_length  # dynamic NTK's L0
    elif kind == "yarn":
        params = {"rope_type": "yarn", "rope_theta": theta, "factor": float(setting["factor"]),
                  "original_max_position_embeddings": trained_length}
        for key in ("beta_fast", "beta_slow"):
            if key in setting:
                params[key] = float(setting[key])
        # post-YaRN context = L0 x s; transformers warns when the two disagree
        config.max_position_embeddings = int(trained_length * setting["factor"])
    else:
        raise ValueError(f"unknown RoPE setting type {kind!r}; expected one of {', '.join(ROPE_TYPES)}")
    if hasattr(config, "original_max_position_embeddings"):
        config.original_max_position_embeddings = trained_length  # Phi-3 style configs take priority over it
    config.rope_parameters = params
    config.validate_rope()
    return copy.deepcopy(params)


def inverse_frequencies(config: Any, seq_len: int | None = None) -> tuple[Any, float]:
    """(inverse frequencies, attention scaling) exactly as the model's rotary embedding computes them."""
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    kind = config.rope_parameters["rope_type"]
    if kind == "default":
        import torch

        dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        base = config.rope_parameters["rope_theta"]
        return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float) / dim)), 1.0
    return ROPE_INIT_FUNCTIONS[kind](config, "cpu", seq_len=seq_len)
