"""Numeric exercises generated from the planner's arithmetic: fits? how many sequences? decode bound? Each
question's answer and worked explanation come from planner.capacity, so an exercise can never disagree with
the planner page. `python -m planner.exercises` writes content/exercises/planner/planner-*/exercise.yaml
(committed; tests/test_planner.py checks the files equal what this module generates).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from planner import capacity as cap
from planner import catalog, hardware
from planner.capacity import GIB, Settings

OUT = Path(__file__).resolve().parent.parent / "content" / "exercises" / "planner"
PLANNER_NOTE = ("在 [容量规划器](/planner/) 里可以换模型、GPU 和设置重算。",
                "Change the model, GPU or settings and recompute in the [capacity planner](/planner/).")


@dataclass(frozen=True)
class Question:
    slug: str
    title: tuple[str, str]
    difficulty: str
    skills: tuple[str, ...]
    unit: str
    tolerance: dict[str, float]
    solve: Callable[[], tuple[float, dict[str, Any]]]  # -> (answer, numbers the texts quote)
    statement: tuple[str, str]
    explanation: tuple[str, str]


def _shape(slug: str) -> cap.ModelShape:
    return catalog.model(slug).shape


def _kv_llama3() -> tuple[float, dict]:
    m = _shape("meta-llama-3-8b")
    return cap.kv_bytes_per_token(m, "bf16"), {"L": m.layers, "nkv": m.kv_heads, "dh": m.head_dim}


def _qwen7b_int4_4070() -> tuple[float, dict]:
    m, hw = _shape("qwen-7b"), hardware.gpu("rtx-4070-laptop").hardware
    s = Settings(precision="int4", group_size=128, context=2048, engine="paged", reserve=1.0, overhead_gib=0)
    w = cap.weight_bytes(m, "int4", 128)
    kv = cap.kv_bytes_per_sequence(m, 2048)
    total = (w["total"] + kv) / GIB
    return round(total, 2), {"linear": f"{cap.parameter_counts(m)['linear']:,}", "wl": w["linear"] / GIB,
                             "wo": w["other"] / GIB, "kv": kv / GIB, "total": total, "card": hw.memory_gib,
                             "fits": cap.memory_plan(m, hw, s)["fits"]}


def _awq_users() -> tuple[float, dict]:
    m, hw = _shape("qwen2_5-7b"), hardware.gpu("rtx-4090").hardware
    s = Settings(precision="int4", group_size=128, context=4096, batch=8, engine="paged", reserve=0.9,
                 overhead_gib=1.0)
    plan = cap.memory_plan(m, hw, s)
    g = {k: plan[k] / GIB for k in ("weights", "activations", "overhead", "budget", "kv_per_sequence")}
    return plan["max_sequences"], {**g, "n": plan["max_sequences"], "room": g["budget"] - g["weights"]
                                   - g["activations"] - g["overhead"]}


def _decode_a10() -> tuple[float, dict]:
    m, hw = _shape("meta-llama-3-8b"), hardware.gpu("a10").hardware
    s = Settings(precision="bf16", context=1024, batch=1)
    step = cap.decode_step(m, hw, s)
    read = cap.weight_bytes_read_per_step(m, "bf16")
    kv = cap.kv_bytes_per_sequence(m, 1024)
    return round(step["tokens_per_s"], 1), {"read": read / 1e9, "kv": kv / 1e9, "bw": hw.bandwidth_gb_s,
                                            "ms": step["step_s"] * 1e3, "tps": step["tokens_per_s"]}


def _mistral_window() -> tuple[float, dict]:
    m = _shape("mistral-7b-v0_1")
    kv = cap.kv_bytes_per_sequence(m, 16384)
    return round(kv / GIB, 3), {"full": cap.kv_bytes_per_token(m) * 16384 / GIB, "kv": kv / GIB,
                                "w": max(w for w in m.windows if w)}


def _tp_bytes() -> tuple[float, dict]:
    m, hw = _shape("qwen2_5-14b"), hardware.gpu("a100-80gb").hardware
    s = Settings(batch=32, tp=2)
    tp = cap.tensor_parallel(m, hw, s)
    sent = tp["allreduces_per_step"] * 2 * (s.tp - 1) / s.tp * tp["decode_bytes_each"]
    return sent, {"n": tp["allreduces_per_step"], "each": tp["decode_bytes_each"], "h": m.hidden, "L": m.layers,
                  "sent": sent, "us": tp["decode_seconds"] * 1e6, "link": hw.interconnect_gb_s}


QUESTIONS: tuple[Question, ...] = (
    Question(
        "planner-kv-per-token-llama3-8b",
        ("Llama-3-8B 每 token 的 KV cache", "KV cache per token of Llama-3-8B"),
        "easy", ("gpu-memory",), "bytes", {"rel": 0.001}, _kv_llama3,
        ("Meta-Llama-3-8B 的 config.json：`num_hidden_layers = {L}`、`num_attention_heads = 32`、"
         "`num_key_value_heads = {nkv}`、`hidden_size = 4096`（`head_dim = 4096 / 32 = {dh}`）。\n\n"
         "KV cache 用 BF16 存，每生成（或预填充）一个 token 要多存多少**字节**？",
         "Meta-Llama-3-8B's config.json: `num_hidden_layers = {L}`, `num_attention_heads = 32`, "
         "`num_key_value_heads = {nkv}`, `hidden_size = 4096` (`head_dim = 4096 / 32 = {dh}`).\n\n"
         "With a BF16 KV cache, how many **bytes** does each token add?"),
        ("每层存 K 和 V，各 `n_kv × d_h` 个数：`2 × {L} × {nkv} × {dh} × 2 字节 = {answer:,.0f}`（128 KiB）。"
         "GQA 让 32 个 query 头共享 8 组 K/V，是同尺寸 MHA 模型（如 Qwen-7B 的 512 KiB）的四分之一。",
         "Each layer stores K and V, `n_kv × d_h` numbers each: `2 × {L} × {nkv} × {dh} × 2 bytes = {answer:,.0f}` "
         "(128 KiB). GQA shares 8 K/V groups among 32 query heads: a quarter of an MHA model of the same size "
         "(Qwen-7B's 512 KiB)."),
    ),
    Question(
        "planner-qwen7b-int4-laptop-memory",
        ("Qwen-7B-Chat-Int4 在 8 GB 笔记本上", "Qwen-7B-Chat-Int4 on an 8 GB laptop"),
        "medium", ("gpu-memory", "quantization"), "GiB", {"rel": 0.03}, _qwen7b_int4_4070,
        ("Qwen-7B-Chat-Int4 是 GPTQ 4 bit、分组大小 128 的模型：线性层（注意力与 MLP 的矩阵，共 {linear} 个参数）"
         "每个权重 4 bit，每组 128 个权重另存一个 fp16 缩放和一个 4 bit 零点；embedding、lm_head、归一化和偏置仍是"
         " 16 位（共 1,245,319,168 个参数）。KV cache 为 BF16，每 token 524,288 字节。\n\n"
         "生成到 2048 个 token 时，权重加一份 KV cache 共多少 **GiB**？（不计激活与 CUDA context）",
         "Qwen-7B-Chat-Int4 is GPTQ 4-bit with group size 128: the linear layers (attention and MLP matrices, "
         "{linear} parameters) take 4 bits per weight plus one fp16 scale and one 4-bit zero point per group of "
         "128; embedding, lm_head, norms and biases stay 16-bit (1,245,319,168 parameters). The KV cache is BF16, "
         "524,288 bytes per token.\n\nAt 2048 tokens, how many **GiB** do the weights plus one KV cache take "
         "(leave out activations and the CUDA context)?"),
        ("线性层 `{linear} × (0.5 + 2.5/128)` 字节 ≈ {wl:.2f} GiB，16 位部分 ≈ {wo:.2f} GiB，KV cache "
         "`524,288 × 2048` = {kv:.2f} GiB，合计 ≈ **{total:.2f} GiB**。8 GiB 的卡只剩不到 1 GiB 给激活、CUDA "
         "context 和分配器；Qwen 自己的 transformers 代码在一步里新旧两份 KV 并存，再多 1 GiB，所以会超出——"
         "Qwen README 在 A100 上实测生成 2048 token 为 8.21 GB。",
         "Linear layers `{linear} × (0.5 + 2.5/128)` bytes ≈ {wl:.2f} GiB, the 16-bit parts ≈ {wo:.2f} GiB, KV cache "
         "`524,288 × 2048` = {kv:.2f} GiB: **{total:.2f} GiB**. An 8 GiB card keeps under 1 GiB for activations, the "
         "CUDA context and the allocator; Qwen's own transformers code holds the old and the new KV cache during a "
         "step, another 1 GiB, so it spills over. The Qwen README measured 8.21 GB on an A100 for 2048 tokens."),
    ),
    Question(
        "planner-awq-users-rtx4090", ("Qwen2.5-7B AWQ 在 4090 上能服务几条 4k 序列",
                                      "How many 4k sequences Qwen2.5-7B AWQ serves on an RTX 4090"),
        "medium", ("gpu-memory", "api-serving"), "sequences", {"abs": 0.5}, _awq_users,
        ("用 vLLM 在 RTX 4090（24 GiB）上部署 Qwen2.5-7B-Instruct-AWQ（4 bit，分组 128），`gpu_memory_utilization"
         " = 0.9`，每条序列按 4096 token 预留 BF16 KV cache。权重 {weights:.2f} GiB，"
         "预填充激活约 {activations:.2f} GiB，"
         "CUDA graph、context 等固定开销按 {overhead:.1f} GiB 算。Qwen2.5-7B：28 层、4 个 KV 头、`head_dim = 128`。\n\n"
         "最多能同时容纳多少条 4096 token 的序列？",
         "You serve Qwen2.5-7B-Instruct-AWQ (4-bit, group 128) with vLLM on an RTX 4090 (24 GiB), "
         "`gpu_memory_utilization = 0.9`, reserving a BF16 KV cache of 4096 tokens per sequence. Weights take "
         "{weights:.2f} GiB, prefill activations about {activations:.2f} GiB, and count {overhead:.1f} GiB of fixed "
         "overhead (CUDA graphs, context). Qwen2.5-7B: 28 layers, 4 KV heads, `head_dim = 128`.\n\n"
         "How many sequences of 4096 tokens fit at once?"),
        ("可用 `0.9 × 24 = {budget:.1f}` GiB，减去权重、激活与开销剩 {room:.2f} GiB。每条序列 KV "
         "`2 × 28 × 4 × 128 × 2 × 4096` 字节 = {kv_per_sequence:.3f} GiB，能放 **{n}** 条——8 个用户绰绰有余，"
         "GQA（7 个 query 头共享一组 K/V）是关键。",
         "The engine gets `0.9 × 24 = {budget:.1f}` GiB; after weights, activations and overhead {room:.2f} GiB "
         "remain. One sequence's KV is `2 × 28 × 4 × 128 × 2 × 4096` bytes = {kv_per_sequence:.3f} GiB, so "
         "**{n}** fit: 8 users with room to spare, thanks to GQA (7 query heads share each K/V group)."),
    ),
    Question(
        "planner-decode-bound-a10", ("A10 上 Llama-3-8B 的解码上限", "Decode bound of Llama-3-8B on an A10"),
        "medium", ("inference-acceleration",), "tokens/s", {"rel": 0.03}, _decode_a10,
        ("Llama-3-8B 用 BF16 部署在 A10（显存带宽 {bw:.0f} GB/s）上，batch = 1，上下文已有 1024 个 token。"
         "每步要读的权重（不含输入 embedding 表，只读其中一行）为 {read:.2f} GB，KV cache {kv:.3f} GB。\n\n"
         "只按带宽算，解码速度的上限是多少 **tokens/s**？",
         "Llama-3-8B in BF16 on an A10 ({bw:.0f} GB/s), batch 1, 1024 tokens already in context. A step reads "
         "{read:.2f} GB of weights (all but the input-embedding table, of which it reads one row) and {kv:.3f} GB "
         "of KV cache.\n\nBy bandwidth alone, what is the decode ceiling in **tokens/s**?"),
        ("一步至少 `({read:.2f} + {kv:.3f}) GB ÷ {bw:.0f} GB/s` = {ms:.2f} ms，上限 ≈ **{tps:.1f} tokens/s**。"
         "这一步的计算只要约 0.1 ms（16 GFLOP ÷ 125 TFLOPS），所以 batch = 1 的解码完全受带宽限制；"
         "实测除以这个上限就是 MBU。",
         "A step takes at least `({read:.2f} + {kv:.3f}) GB ÷ {bw:.0f} GB/s` = {ms:.2f} ms: a ceiling of "
         "**{tps:.1f} tokens/s**. The step's arithmetic needs about 0.1 ms (16 GFLOP ÷ 125 TFLOPS), so batch-1 "
         "decoding is bound by bandwidth alone; the measured speed divided by this ceiling is the MBU."),
    ),
    Question(
        "planner-sliding-window-kv", ("Mistral-7B 的滑动窗口 KV cache", "Mistral-7B's sliding-window KV cache"),
        "easy", ("gpu-memory", "long-context"), "GiB", {"rel": 0.01}, _mistral_window,
        ("Mistral-7B-v0.1 的 config.json 写着 `sliding_window = {w}`：每层只关注最近 {w} 个 token，所以 KV cache "
         "也只需保留这么多（vLLM 按窗口回收块）。32 层、8 个 KV 头、`head_dim = 128`，KV 为 BF16。\n\n"
         "一条 16384 token 的序列需要多少 **GiB** 的 KV cache？",
         "Mistral-7B-v0.1's config.json sets `sliding_window = {w}`: every layer attends to the last {w} tokens "
         "only, so the KV cache need keep no more (vLLM frees blocks outside the window). 32 layers, 8 KV heads, "
         "`head_dim = 128`, BF16 KV.\n\nHow many **GiB** of KV cache does one 16384-token sequence need?"),
        ("每 token `2 × 32 × 8 × 128 × 2 = 131,072` 字节，只存 {w} 个：**{kv:.3f} GiB**；不用窗口要 {full:.1f} GiB。"
         "Gemma 2/3 只有部分层是局部窗口，全局层仍按整段上下文算。",
         "`2 × 32 × 8 × 128 × 2 = 131,072` bytes per token, {w} tokens kept: **{kv:.3f} GiB**, against {full:.1f} "
         "GiB without the window. Gemma 2 and 3 make only some layers local; their global layers still keep the "
         "whole context."),
    ),
    Question(
        "planner-tp-allreduce-bytes",
        ("张量并行每步的 all-reduce 流量", "All-reduce traffic per step under tensor parallelism"),
        "hard", ("inference-acceleration", "api-serving"), "bytes", {"rel": 0.01}, _tp_bytes,
        ("Qwen2.5-14B（{L} 层，`hidden_size = {h}`）用张量并行 t = 2 部署在两张 A100 上，解码时 batch = 32。"
         "Megatron 式切分每层做两次 all-reduce（注意力输出投影后、MLP 下投影后），每次归约整批的 BF16 隐状态。"
         "环形 all-reduce 中每张 GPU 发送 `2(t−1)/t` 倍的缓冲区。\n\n"
         "解码一步里，每张 GPU 一共发送多少**字节**？",
         "Qwen2.5-14B ({L} layers, `hidden_size = {h}`) runs with tensor parallelism t = 2 on two A100s, decoding "
         "a batch of 32. Megatron-style sharding does two all-reduces per layer (after attention's output "
         "projection and after the MLP's down projection), each over the batch's BF16 hidden states. In a ring "
         "all-reduce each GPU sends `2(t−1)/t` times the buffer.\n\nHow many **bytes** does each GPU send in one "
         "decode step?"),
        ("每次缓冲区 `32 × {h} × 2` = {each:,} 字节，每步 `2 × {L}` = {n} 次，t = 2 时系数为 1：共 "
         "**{sent:,.0f} 字节**。按 NVLink 单向 {link:.0f} GB/s 约 {us:.0f} µs，而这一步读权重要约 7 ms，"
         "所以两卡 NVLink 上的通信几乎不占时间；换成 PCIe（单向 32 GB/s）就是约 1 ms。",
         "Each buffer is `32 × {h} × 2` = {each:,} bytes, `2 × {L}` = {n} per step, and the factor is 1 at t = 2: "
         "**{sent:,.0f} bytes**. At {link:.0f} GB/s one way over NVLink that is about {us:.0f} µs against some "
         "7 ms of weight reads, so communication barely shows on two NVLinked GPUs; over PCIe (32 GB/s one way) "
         "it is about 1 ms."),
    ),
)


class _Block(str):
    pass


def _block(dumper: yaml.Dumper, value: _Block) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


yaml.SafeDumper.add_representer(_Block, _block)


def render(q: Question) -> str:
    answer, numbers = q.solve()
    answer = int(answer) if float(answer).is_integer() else answer
    fill = {**numbers, "answer": answer}
    doc = {
        "slug": q.slug, "kind": "numeric", "title": q.title[0], "title_en": q.title[1],
        "difficulty": q.difficulty, "skills": list(q.skills),
        "statement": _Block(q.statement[0].format(**fill) + "\n"),
        "statement_en": _Block(q.statement[1].format(**fill) + "\n"),
        "answer": answer, "tolerance": dict(q.tolerance), "unit": q.unit,
        "explanation": _Block(q.explanation[0].format(**fill) + "\n\n" + PLANNER_NOTE[0] + "\n"),
        "explanation_en": _Block(q.explanation[1].format(**fill) + "\n\n" + PLANNER_NOTE[1] + "\n"),
    }
    header = "# Generated by `python -m planner.exercises` from planner.capacity; edit planner/exercises.py instead.\n"
    return header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)


def write(out: Path = OUT) -> list[Path]:
    written = []
    for q in QUESTIONS:
        path = out / q.slug / "exercise.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(q), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(p)
