"""Capacity arithmetic from a model's config.json and a GPU's published figures: parameters, weight bytes,
KV-cache bytes, whether it fits, how many sequences fit, and lower bounds on prefill and decode time.

Pure Python (no Django): the planner page, the lab pages and the exercise generator all call it. Every figure is
a lower bound or an exact count from the config, never a measurement; the formulas are those of Pope et al. 2022,
"Efficiently Scaling Transformer Inference" (arXiv:2211.05102) and of the vLLM paper (arXiv:2309.06180).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

GIB = 1024**3

# Bits per stored weight; bf16 and fp16 store alike.
WEIGHT_BITS = {"fp32": 32, "bf16": 16, "fp16": 16, "int8": 8, "int4": 4}
KV_BITS = {"fp32": 32, "bf16": 16, "fp16": 16, "fp8": 8, "int8": 8}
ENGINES = ("paged", "hf")


class ConfigError(ValueError):
    """A config.json the planner cannot read; `field` names the key at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ModelShape:
    """What the arithmetic needs from a config.json (decoder-only, gated MLP: Llama, Qwen, Mistral, Gemma)."""

    model_type: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int  # width of one MLP branch (gate and up each hidden x ffn, down ffn x hidden)
    vocab: int
    tied: bool  # lm_head shares the input embedding
    qkv_bias: bool = False
    o_bias: bool = False
    norms_per_layer: int = 2
    qk_norm: bool = False
    windows: tuple[int | None, ...] = ()  # per layer: sliding-window length, None for full attention
    max_context: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def gqa_group(self) -> int:
        return self.heads // self.kv_heads

    @property
    def sliding_layers(self) -> int:
        return sum(1 for w in self.windows if w)


def _number(cfg: dict, names: tuple[str, ...], *, default: Any = None, kind: type = int) -> Any:
    """The first of `names` present in cfg, checked to be a positive number; ConfigError names the key."""
    for name in names:
        if name in cfg and cfg[name] is not None:
            value = cfg[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
                raise ConfigError(name, f"must be a {'whole ' if kind is int else ''}number, got {value!r}")
            if value <= 0:
                raise ConfigError(name, f"must be positive, got {value!r}")
            return kind(value)
    if default is None:
        raise ConfigError(names[0], "missing" + (f" (also looked for {', '.join(names[1:])})" if names[1:] else ""))
    return default


def _windows(cfg: dict, model_type: str, layers: int) -> tuple[int | None, ...]:
    """Each layer's sliding window, as the config says: `layer_types` when given, else the family's pattern."""
    window = cfg.get("sliding_window")
    if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window <= 0):
        raise ConfigError("sliding_window", f"must be a positive whole number or null, got {window!r}")
    types = cfg.get("layer_types")
    if types is not None:
        if not isinstance(types, list) or len(types) != layers:
            raise ConfigError("layer_types", f"must list one type per layer ({layers})")
        return tuple(window if t == "sliding_attention" else None for t in types)
    if not window:
        return (None,) * layers
    if model_type == "gemma2":  # alternating local/global, local first (transformers Gemma2)
        return tuple(window if i % 2 == 0 else None for i in range(layers))
    if model_type in ("gemma3", "gemma3_text"):  # five local layers, then one global
        pattern = cfg.get("sliding_window_pattern") or cfg.get("_sliding_window_pattern") or 6
        return tuple(window if (i + 1) % pattern else None for i in range(layers))
    if model_type in ("qwen2", "qwen3", "qwen2_moe"):  # only with use_sliding_window, above max_window_layers
        if not cfg.get("use_sliding_window"):
            return (None,) * layers
        first = cfg.get("max_window_layers", 0)
        return tuple(window if i >= first else None for i in range(layers))
    return (window,) * layers  # Mistral: every layer


# What transformers fills in when a config leaves a key out (Gemma 3's multimodal configs give only a few keys of
# their text_config): transformers' Gemma3TextConfig defaults.
FAMILY_DEFAULTS: dict[str, dict[str, Any]] = {
    "gemma3_text": {"vocab_size": 262208, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
                    "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256,
                    "max_position_embeddings": 131072, "sliding_window": 4096, "sliding_window_pattern": 6},
}


def shape_from_config(cfg: Any) -> ModelShape:
    """Read a Hugging Face config.json (already parsed). Multimodal configs are read from their text_config
    (the vision tower is not counted). Both Qwen-1 spellings (hidden_size / n_embd) are accepted."""
    if not isinstance(cfg, dict):
        raise ConfigError("config.json", "must be a JSON object")
    notes: list[str] = []
    if isinstance(cfg.get("text_config"), dict):
        text = cfg["text_config"]
        cfg = {**text, "model_type": text.get("model_type") or cfg.get("model_type", "")}
        notes.append("text_config")
    model_type = str(cfg.get("model_type") or "")
    if model_type in FAMILY_DEFAULTS:
        cfg = {**FAMILY_DEFAULTS[model_type], **{k: v for k, v in cfg.items() if v is not None}}
    hidden = _number(cfg, ("hidden_size", "n_embd", "d_model"))
    layers = _number(cfg, ("num_hidden_layers", "n_layer", "num_layers"))
    heads = _number(cfg, ("num_attention_heads", "n_head"))
    kv_heads = _number(cfg, ("num_key_value_heads", "multi_query_group_num"), default=heads)
    if kv_heads > heads or heads % kv_heads:
        raise ConfigError("num_key_value_heads", f"{kv_heads} does not divide num_attention_heads ({heads})")
    head_dim = _number(cfg, ("head_dim", "kv_channels"), default=0) or hidden // heads
    ffn = _number(cfg, ("intermediate_size", "ffn_hidden_size"))
    qwen1 = model_type == "qwen"
    if qwen1:  # Qwen-1 counts both MLP branches in intermediate_size (w1 and w2 are each half of it)
        ffn //= 2
    vocab = _number(cfg, ("vocab_size", "padded_vocab_size"))
    tied = cfg.get("tie_word_embeddings", True)  # transformers' default when the config says nothing
    if not isinstance(tied, bool):
        raise ConfigError("tie_word_embeddings", f"must be true or false, got {tied!r}")
    bias = cfg.get("attention_bias", False) is True
    max_context = _number(cfg, ("max_position_embeddings", "seq_length", "n_positions"), default=0) or None
    return ModelShape(
        model_type=model_type, hidden=hidden, layers=layers, heads=heads, kv_heads=kv_heads, head_dim=head_dim,
        ffn=ffn, vocab=vocab, tied=tied,
        qkv_bias=qwen1 or model_type in ("qwen2", "qwen2_moe") or bias, o_bias=bias,
        norms_per_layer=4 if model_type in ("gemma2", "gemma3", "gemma3_text") else 2,
        qk_norm=model_type in ("gemma3", "gemma3_text", "qwen3"),
        windows=_windows(cfg, model_type, layers), max_context=max_context, notes=tuple(notes),
    )


# ---- parameters and weight bytes -------------------------------------------------------------------------


def parameter_counts(m: ModelShape) -> dict[str, int]:
    """Exact parameter counts by part. `linear` is what weight-only quantizers (GPTQ, AWQ) store in low bits:
    the attention and MLP matrices, not embeddings, norms or biases."""
    q_out, kv_out = m.heads * m.head_dim, m.kv_heads * m.head_dim
    attn_matrices = m.hidden * q_out + 2 * m.hidden * kv_out + q_out * m.hidden
    attn_bias = (q_out + 2 * kv_out if m.qkv_bias else 0) + (m.hidden if m.o_bias else 0)
    attn_norm = 2 * m.head_dim if m.qk_norm else 0
    mlp_matrices = 3 * m.hidden * m.ffn
    embedding = m.vocab * m.hidden
    lm_head = 0 if m.tied else m.vocab * m.hidden
    attention = m.layers * (attn_matrices + attn_bias + attn_norm)
    mlp = m.layers * mlp_matrices
    norms = m.layers * m.norms_per_layer * m.hidden + m.hidden
    return {
        "embedding": embedding, "lm_head": lm_head, "attention": attention, "mlp": mlp, "norms": norms,
        "linear": m.layers * (attn_matrices + mlp_matrices),
        "total": embedding + lm_head + attention + mlp + norms,
    }


def quantized_bytes_per_weight(bits: int, group_size: int) -> float:
    """A GPTQ/AWQ-style group: `bits` per weight, plus one fp16 scale and one `bits` zero point per group."""
    return bits / 8 + (2 + bits / 8) / group_size


def weight_bytes(m: ModelShape, precision: str = "bf16", group_size: int = 128) -> dict[str, float]:
    """Bytes of the weights at a precision. int8/int4 quantize the linear matrices only (embedding, lm_head,
    norms and biases stay 16-bit, as in Qwen's GPTQ releases); group_size 0 means one scale per output channel."""
    if precision not in WEIGHT_BITS:
        raise ValueError(f"precision must be one of {', '.join(WEIGHT_BITS)}")
    counts = parameter_counts(m)
    bits = WEIGHT_BITS[precision]
    if bits >= 16:
        per = bits / 8
        return {"linear": counts["linear"] * per, "other": (counts["total"] - counts["linear"]) * per,
                "total": counts["total"] * per}
    group = group_size or m.hidden
    linear = counts["linear"] * quantized_bytes_per_weight(bits, group)
    other = (counts["total"] - counts["linear"]) * 2
    return {"linear": linear, "other": other, "total": linear + other}


def weight_bytes_read_per_step(m: ModelShape, precision: str = "bf16", group_size: int = 128) -> float:
    """Bytes a decode step reads: all weights except the input-embedding table, of which only the batch's rows
    are read (the lm_head is read whole, even when it shares the table)."""
    total = weight_bytes(m, precision, group_size)["total"]
    stored_per = 4 if precision == "fp32" else 2  # the embedding table is never quantized here
    embedding = parameter_counts(m)["embedding"] * stored_per
    return total - embedding + (embedding if m.tied else 0)


# ---- KV cache ----------------------------------------------------------------------------------------------


def kv_bytes_per_token(m: ModelShape, kv_precision: str = "bf16") -> int:
    """K and V of one token in every layer: 2 x layers x kv_heads x head_dim x bytes (a sliding-window layer
    stops growing at its window, see kv_bytes_per_sequence)."""
    return 2 * m.layers * m.kv_heads * m.head_dim * KV_BITS[kv_precision] // 8


def kv_bytes_per_sequence(m: ModelShape, context: int, kv_precision: str = "bf16") -> int:
    """One sequence of `context` tokens: full-attention layers keep every token, sliding-window layers keep
    at most their window."""
    per_layer_token = 2 * m.kv_heads * m.head_dim * KV_BITS[kv_precision] // 8
    return sum(per_layer_token * (min(context, w) if w else context) for w in m.windows)


# ---- hardware and settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hardware:
    """One GPU as the arithmetic sees it. `link_gb_s` is the published GPU-to-GPU figure (both directions
    together, as datasheets give NVLink); None means PCIe only, `pcie_gb_s` likewise."""

    name: str
    memory_gib: float
    bandwidth_gb_s: float
    fp16_tflops: float  # dense fp16/bf16 tensor, no sparsity
    int8_tops: float | None = None
    link_gb_s: float | None = None
    pcie_gb_s: float = 64.0
    bf16: bool = True

    @property
    def interconnect_gb_s(self) -> float:
        """Per direction, which is what a ring all-reduce moves data at."""
        return (self.link_gb_s or self.pcie_gb_s) / 2


@dataclass(frozen=True)
class Settings:
    precision: str = "bf16"
    group_size: int = 128
    kv_precision: str = "bf16"
    context: int = 4096
    batch: int = 1
    tp: int = 1
    reserve: float = 0.9  # the engine's share of the card (vLLM gpu_memory_utilization)
    overhead_gib: float = 0.5  # CUDA context, cuBLAS workspace, allocator slack
    engine: str = "paged"  # paged: vLLM blocks; hf: transformers' concatenated cache
    block_size: int = 16
    prefill_chunk: int = 2048  # tokens per forward pass during prefill (vLLM max_num_batched_tokens)

    def validated(self) -> Settings:
        checks = [
            ("precision", self.precision in WEIGHT_BITS, f"one of {', '.join(WEIGHT_BITS)}"),
            ("kv_precision", self.kv_precision in KV_BITS, f"one of {', '.join(KV_BITS)}"),
            ("engine", self.engine in ENGINES, f"one of {', '.join(ENGINES)}"),
            ("group_size", self.group_size >= 0, "0 (per channel) or a group size"),
            ("context", self.context >= 1, "at least 1"), ("batch", self.batch >= 1, "at least 1"),
            ("tp", self.tp >= 1, "at least 1"), ("reserve", 0 < self.reserve <= 1, "between 0 and 1"),
            ("overhead_gib", self.overhead_gib >= 0, "0 or more"), ("block_size", self.block_size >= 1, "at least 1"),
            ("prefill_chunk", self.prefill_chunk >= 1, "at least 1"),
        ]
        for name, ok, want in checks:
            if not ok:
                raise ConfigError(name, f"must be {want}")
        return self


# ---- memory ------------------------------------------------------------------------------------------------


def _per_gpu_kv_heads(m: ModelShape, tp: int) -> int:
    """KV heads on one GPU: split across the TP group, replicated when there are fewer heads than GPUs."""
    return math.ceil(m.kv_heads / tp)


def kv_bytes_per_sequence_per_gpu(m: ModelShape, s: Settings) -> float:
    context = s.context
    if s.engine == "paged":  # whole blocks
        context = math.ceil(context / s.block_size) * s.block_size
    full = kv_bytes_per_sequence(m, context, s.kv_precision)
    per_gpu = full * _per_gpu_kv_heads(m, s.tp) / m.kv_heads
    # transformers' tuple cache: a step builds the new cache while the old is still referenced (Qwen README's
    # sequence-length table grows by ~1.04 GiB per 1000 tokens, twice 0.5 MiB per token)
    return per_gpu * (2 if s.engine == "hf" else 1)


def activation_bytes(m: ModelShape, s: Settings) -> float:
    """A rough peak of one layer's working set during prefill, per GPU: the tokens of one forward pass times
    the widest intermediates (hidden, q/k/v, two MLP branches) in 16 bits, plus fp32 logits for the last
    position of each sequence. FlashAttention-style kernels are assumed (no context x context matrix)."""
    tokens = s.batch * s.context if s.engine == "hf" else min(s.batch * s.context, s.prefill_chunk)
    width = 2 * m.hidden + (m.heads + 2 * m.kv_heads) * m.head_dim / s.tp + 2 * m.ffn / s.tp
    return tokens * width * 2 + s.batch * m.vocab * 4


def memory_plan(m: ModelShape, hw: Hardware, s: Settings) -> dict[str, Any]:
    """Per GPU: weights, KV cache for `batch` sequences of `context` tokens, activations and overhead against
    the engine's share of the card; the largest number of sequences at that context."""
    s = s.validated()
    weights = weight_bytes(m, s.precision, s.group_size)["total"] / s.tp
    kv_seq = kv_bytes_per_sequence_per_gpu(m, s)
    kv = kv_seq * s.batch
    activations = activation_bytes(m, s)
    overhead = s.overhead_gib * GIB
    card = hw.memory_gib * GIB
    budget = card * s.reserve
    used = weights + kv + activations + overhead
    room = budget - weights - activations - overhead
    max_seq = max(0, math.floor(room / kv_seq)) if kv_seq else 0
    return {
        "weights": weights, "kv": kv, "kv_per_sequence": kv_seq, "activations": activations,
        "overhead": overhead, "used": used, "card": card, "budget": budget, "fits": used <= budget,
        "max_sequences": max_seq, "free": budget - used,
        "max_context_one_sequence": _max_context(m, s, room),
    }


def _max_context(m: ModelShape, s: Settings, room: float) -> int:
    """Longest context one sequence can have in `room` bytes (bisection over kv_bytes_per_sequence)."""
    one = replace(s, batch=1)
    if room <= 0 or kv_bytes_per_sequence_per_gpu(m, replace(one, context=1)) > room:
        return 0
    lo, hi = 1, 1 << 24
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if kv_bytes_per_sequence_per_gpu(m, replace(one, context=mid)) <= room:
            lo = mid
        else:
            hi = mid - 1
    return lo


# ---- time bounds -------------------------------------------------------------------------------------------


def matmul_flops_per_token(m: ModelShape) -> int:
    """2 flops per weight a token meets in a matrix: the attention and MLP matrices and the lm_head (the
    input embedding is a lookup)."""
    counts = parameter_counts(m)
    return 2 * (counts["linear"] + m.vocab * m.hidden)


def attention_flops_per_token(m: ModelShape, context: int) -> int:
    """QK^T and softmax(QK^T)V for one new token attending to `context` earlier ones: 4 x heads x head_dim
    per attended token and layer (a sliding-window layer attends to at most its window)."""
    return sum(4 * m.heads * m.head_dim * (min(context, w) if w else context) for w in m.windows)


def allreduce_seconds(nbytes: float, tp: int, hw: Hardware) -> float:
    """A ring all-reduce moves 2 (tp-1)/tp of the buffer through each GPU's link, one direction at a time."""
    if tp <= 1:
        return 0.0
    return 2 * (tp - 1) / tp * nbytes / (hw.interconnect_gb_s * 1e9)


def decode_step(m: ModelShape, hw: Hardware, s: Settings, batch: int | None = None) -> dict[str, Any]:
    """Lower bound on one decode step for `batch` sequences at `context` tokens, per GPU of the TP group:
    the weights and every sequence's KV cache read once (bandwidth), the matmuls and attention done once
    (compute), whichever is longer, plus two all-reduces per layer (Megatron-style TP)."""
    b = batch or s.batch
    kv_read = kv_bytes_per_sequence(m, s.context, s.kv_precision) * _per_gpu_kv_heads(m, s.tp) / m.kv_heads
    read = weight_bytes_read_per_step(m, s.precision, s.group_size) / s.tp + b * kv_read
    flops = b * (matmul_flops_per_token(m) + attention_flops_per_token(m, s.context)) / s.tp
    t_memory = read / (hw.bandwidth_gb_s * 1e9)
    t_compute = flops / (hw.fp16_tflops * 1e12)
    t_comm = 2 * m.layers * allreduce_seconds(b * m.hidden * 2, s.tp, hw)
    step = max(t_memory, t_compute) + t_comm
    return {"batch": b, "bytes_read": read, "flops": flops, "t_memory": t_memory, "t_compute": t_compute,
            "t_comm": t_comm, "step_s": step, "tokens_per_s": b / step,
            "bound": "memory" if t_memory >= t_compute else "compute"}


def decode_knee(m: ModelShape, hw: Hardware, s: Settings) -> float | None:
    """The batch at which a decode step turns compute-bound: (W + B K) / BW = B f / F solved for B. None when
    the KV cache alone outgrows compute (long contexts): the step then stays bandwidth-bound at any batch."""
    weights = weight_bytes_read_per_step(m, s.precision, s.group_size) / s.tp
    kv = kv_bytes_per_sequence(m, s.context, s.kv_precision) * _per_gpu_kv_heads(m, s.tp) / m.kv_heads
    flops = (matmul_flops_per_token(m) + attention_flops_per_token(m, s.context)) / s.tp
    per_batch = flops / (hw.fp16_tflops * 1e12) - kv / (hw.bandwidth_gb_s * 1e9)
    if per_batch <= 0:
        return None
    return weights / (hw.bandwidth_gb_s * 1e9) / per_batch


def decode_curve(m: ModelShape, hw: Hardware, s: Settings, max_batch: int = 1024) -> list[dict[str, Any]]:
    batches = [2**i for i in range(int(math.log2(max_batch)) + 1)]
    return [decode_step(m, hw, s, b) for b in batches]


def prefill(m: ModelShape, hw: Hardware, s: Settings) -> dict[str, Any]:
    """Lower bound on prefilling `batch` prompts of `context` tokens: the matmuls and causal attention
    (compute), or reading the weights once per forward pass of `prefill_chunk` tokens, whichever is longer;
    plus the all-reduces of every token's activations."""
    tokens = s.batch * s.context
    attention = 0
    for w in m.windows:  # sum over t = 1..context of min(t, w), in closed form
        n = s.context
        attended = n * (n + 1) // 2 if not w or n <= w else w * (w + 1) // 2 + (n - w) * w
        attention += 4 * m.heads * m.head_dim * attended
    flops = (tokens * matmul_flops_per_token(m) + s.batch * attention) / s.tp
    passes = math.ceil(tokens / s.prefill_chunk) if s.engine == "paged" else 1
    read = passes * weight_bytes(m, s.precision, s.group_size)["total"] / s.tp
    t_compute = flops / (hw.fp16_tflops * 1e12)
    t_memory = read / (hw.bandwidth_gb_s * 1e9)
    t_comm = 2 * m.layers * allreduce_seconds(tokens * m.hidden * 2, s.tp, hw)
    total = max(t_compute, t_memory) + t_comm
    return {"tokens": tokens, "flops": flops, "t_compute": t_compute, "t_memory": t_memory, "t_comm": t_comm,
            "seconds": total, "tokens_per_s": tokens / total, "bound": "compute" if t_compute >= t_memory else "memory"}


def tensor_parallel(m: ModelShape, hw: Hardware, s: Settings) -> dict[str, Any]:
    """Two all-reduces per layer (after attention's output projection and after the MLP's down projection),
    each of the step's activations: tokens x hidden x 2 bytes."""
    decode_bytes = s.batch * m.hidden * 2
    prefill_bytes = s.batch * s.context * m.hidden * 2
    return {
        "allreduces_per_step": 2 * m.layers, "decode_bytes_each": decode_bytes, "prefill_bytes_each": prefill_bytes,
        "decode_seconds": 2 * m.layers * allreduce_seconds(decode_bytes, s.tp, hw),
        "prefill_seconds": 2 * m.layers * allreduce_seconds(prefill_bytes, s.tp, hw),
        "link_gb_s": hw.interconnect_gb_s, "link": "nvlink" if hw.link_gb_s else "pcie",
    }


def weight_stationary_layouts(m: ModelShape, hw: Hardware, s: Settings,
                              chips: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128, 256)) -> list[dict[str, Any]]:
    """Pope et al. 2022, section 3.2.2, per layer of one decode step (L = 1 token, B = batch, E = hidden):
    1D weight-stationary moves 2BLE per chip whatever the chip count; 2D moves 8BLE / sqrt(n), so it wins
    past 16 chips."""
    ble = s.batch * 1 * m.hidden * 2  # bytes of bf16 activations
    bw = hw.interconnect_gb_s * 1e9
    return [{"chips": n, "one_d_s": 2 * ble / bw, "two_d_s": 8 * ble / (math.sqrt(n) * bw),
             "better": "2d" if 8 / math.sqrt(n) < 2 else "1d"} for n in chips]


# ---- one call for the lab pages ----------------------------------------------------------------------------


def bounds_for(model_config: dict | ModelShape, hardware: Hardware | dict, settings: Settings | dict) -> dict:
    """Everything a job page needs beside its measurement, as plain numbers: memory (bytes), decode and
    prefill lower bounds (seconds, tokens/s) and the batch where decode turns compute-bound.
    ConfigError (with .field) for a config or setting it cannot use."""
    m = model_config if isinstance(model_config, ModelShape) else shape_from_config(model_config)
    hw = hardware if isinstance(hardware, Hardware) else Hardware(**hardware)
    s = (settings if isinstance(settings, Settings) else Settings(**settings)).validated()
    step = decode_step(m, hw, s)
    return {
        "parameters": parameter_counts(m)["total"],
        "weight_bytes": weight_bytes(m, s.precision, s.group_size)["total"],
        "kv_bytes_per_token": kv_bytes_per_token(m, s.kv_precision),
        "kv_bytes_per_sequence": kv_bytes_per_sequence(m, s.context, s.kv_precision),
        "memory": memory_plan(m, hw, s),
        "decode_step_s": step["step_s"], "decode_tokens_per_s": step["tokens_per_s"], "decode_bound": step["bound"],
        "prefill_s": prefill(m, hw, s)["seconds"],
        "decode_knee_batch": decode_knee(m, hw, s),
    }
