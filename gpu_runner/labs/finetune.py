"""Fine-tuning lab: LoRA / Q-LoRA (peft) on a tool-calling dataset in Qwen's format, measured the way Qwen's
README profiles fine-tuning (memory, seconds per optimizer step) plus what the adapter learned.

Method: the data is rendered in ChatML as Qwen's finetune.py does (a system turn, user turns masked out of the
loss, assistant text and its <|im_end|> supervised) and truncated to seq_len. One optimizer step = grad_accum
micro-batches of batch_size examples (AdamW over the adapter only). s/step is the median over steps after the
first (the first pays one-off allocation and kernel selection); every step's time is in step_seconds. Tokens/s
counts the tokens the model processed (padding excluded). Held-out loss = mean NLL over the supervised tokens of
the held-out examples; perplexity = exp of it. Task score = share of held-out prompts whose greedy generation
names the reference's first tool in an "Action:" line with a JSON-object "Action Input:" (or, where the
reference answers without a tool, gives a "Final Answer:" and no Action). LoRA's B matrices start at zero, so
"before" is the base model itself. The adapter stays on the runner; the result carries its path.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpu_runner.checkpoints.loading import describe_model, prepare_model
from gpu_runner.errors import Unsupported
from gpu_runner.labs import LabContext
from labcontract.labs.finetune import check_finetune_params, published_reference, validate_dataset_jsonl

TARGET = "gpu_runner.labs.finetune:measure"
BUILTIN_DATASET = Path(__file__).resolve().parents[2] / "content" / "datasets" / "react-tools"
DEFAULT_SYSTEM = "You are a helpful assistant."  # Qwen's finetune.py uses this system message for every sample
IGNORE = -100
RELOAD_CHECK_MAX_PARAMS = 1_000_000_000  # label of a token left out of the loss (transformers' convention)
ACTION_RE = re.compile(r"^[ \t]*Action[ \t]*:[ \t]*(.*?)[ \t]*$", re.M)
ACTION_INPUT_RE = re.compile(r"Action Input[ \t]*:[ \t]*")


def run(params: dict[str, Any], ctx: LabContext) -> dict[str, Any]:
    check_finetune_params(params)  # the site checked too; a runner never trains on a half-valid file
    method = params["method"]
    result: dict[str, Any] = {"lab": "finetune", "model": params["model"], "device": ctx.device, "method": method,
                              "settings": settings_of(params, ctx.device),
                              "published_reference": published_reference(params["seq_len"])}
    reason = method_reason(method, ctx.device)
    if not reason:
        try:
            prepare_model(ctx, params["model"])  # a first-use conversion is never part of a measured load
            result["model_description"] = describe_model(params["model"])
        except Unsupported as exc:
            reason = str(exc)
    if reason:
        ctx.report(100, "done")
        return {**result, "status": "unsupported", "reason": reason}
    out = ctx.measure(TARGET, {**params, "device": ctx.device}, key="method", name=method, index=0, total=1)
    ctx.report(100, "done")
    return {**result, **out}


def settings_of(params: dict[str, Any], device: str) -> dict[str, Any]:
    keys = ("rank", "alpha", "dropout", "target_modules", "seq_len", "batch_size", "grad_accum", "steps", "lr",
            "lr_scheduler", "warmup_steps", "gradient_checkpointing", "padding", "seed", "dataset",
            "eval_max_new_tokens", "eval_examples")
    return {**{k: params[k] for k in keys}, "dtype": resolve_dtype(params, device)}


def resolve_dtype(params: dict[str, Any], device: str) -> str:
    if params["method"] == "qlora-gptq":
        return "fp16"  # GPTQ kernels compute in fp16; Qwen's Q-LoRA recipe does too
    if params["dtype"] != "auto":
        return params["dtype"]
    return "bf16" if device == "cuda" else "fp32"


def method_reason(method: str, device: str) -> str | None:
    """Why this runner cannot run a method at all (checked before spawning); None when it may try."""
    have = importlib.util.find_spec
    if method == "qlora-nf4" and have("bitsandbytes") is None:
        return ("Q-LoRA NF4 needs bitsandbytes, which is not installed on this runner "
                "(see gpu_runner/requirements-cuda.txt)")
    if method == "qlora-gptq":
        if device != "cuda":
            return "Q-LoRA on a GPTQ Int4 checkpoint needs a CUDA device (GPTQ kernels); this job runs on the CPU"
        if have("gptqmodel") is None:
            return "gptqmodel is not installed on this runner (transformers loads GPTQ checkpoints through it)"
    return None


# ---- data ----------------------------------------------------------------------------------------------


def load_examples(spec: dict[str, Any]) -> tuple[list[dict], list[dict], str]:
    """(train, held-out, description of the source)."""
    if spec["dataset"] == "builtin":
        train_path, held_path = BUILTIN_DATASET / "train.jsonl", BUILTIN_DATASET / "heldout.jsonl"
        if not train_path.is_file():
            raise Unsupported(f"the built-in dataset is missing on this runner ({train_path}); a runner image "
                              "needs content/datasets next to gpu_runner/")
        train = validate_dataset_jsonl(train_path.read_text("utf-8"), field=str(train_path))
        held = validate_dataset_jsonl(held_path.read_text("utf-8"), field=str(held_path))
        return train, held, "builtin:react-tools"
    train = validate_dataset_jsonl(spec["train_jsonl"], field="train_jsonl")
    if spec["heldout_jsonl"].strip():
        return train, validate_dataset_jsonl(spec["heldout_jsonl"], field="heldout_jsonl"), "upload"
    n_held = max(1, round(len(train) * spec["heldout_fraction"]))
    return train[:-n_held], train[-n_held:], f"upload (last {n_held} lines held out)"


class ChatFormat:
    """ChatML token layout (Qwen, SmolLM2); other tokenizers get text markers ending in their EOS token."""

    def __init__(self, tok: Any):
        self.tok = tok
        start, end = _single_token(tok, "<|im_start|>"), _single_token(tok, "<|im_end|>")
        self.chatml = start is not None and end is not None
        self.start = [start] if self.chatml else []
        self.end = end if self.chatml else tok.eos_token_id
        self.nl = tok.encode("\n")

    def header(self, role: str) -> list[int]:
        return self.start + self.tok.encode(f"{role}\n" if self.chatml else f"### {role}:\n")

    def encode(self, example: dict, seq_len: int) -> tuple[list[int], list[int], bool]:
        """(input ids, labels, truncated?) — only assistant text and its end token are supervised."""
        turns = example["conversations"]
        system = turns[0]["value"] if turns[0]["from"] == "system" else DEFAULT_SYSTEM
        ids = self.header("system") + self.tok.encode(system) + [self.end] + self.nl
        labels = [IGNORE] * len(ids)
        for turn in (t for t in turns if t["from"] != "system"):
            head = self.header(turn["from"])
            body = self.tok.encode(turn["value"]) + [self.end]
            ids += head + body + self.nl
            supervised = turn["from"] == "assistant"
            labels += [IGNORE] * len(head) + (body if supervised else [IGNORE] * len(body)) + [IGNORE] * len(self.nl)
        return ids[:seq_len], labels[:seq_len], len(ids) > seq_len

    def prompt(self, example: dict, seq_len: int) -> list[int]:
        """Everything before the first assistant reply, ending with the assistant header (left-cut to fit)."""
        first = next(i for i, t in enumerate(example["conversations"]) if t["from"] == "assistant")
        ids, _, _ = self.encode({"conversations": example["conversations"][:first]}, 1 << 30)
        return (ids + self.header("assistant"))[-seq_len:]


def _single_token(tok: Any, text: str) -> int | None:
    encoding = getattr(tok, "encoding", None)  # the fixture's tiktoken Encoding
    if encoding is not None:
        return encoding.encode_single_token(text) if text in encoding.special_tokens_set else None
    hf = tok.tok
    token_id = hf.convert_tokens_to_ids(text)
    return token_id if token_id is not None and token_id != hf.unk_token_id else None


def reference_tool(example: dict) -> str | None:
    """The tool named by the first assistant turn's Action line, or None when it answers without one."""
    first = next(t["value"] for t in example["conversations"] if t["from"] == "assistant")
    return parse_react(first)["tool"]


def parse_react(text: str) -> dict[str, Any]:
    """The first Action and whether its Action Input is a JSON object; text after an Observation is ignored."""
    text = text.split("Observation")[0]
    match = ACTION_RE.search(text)
    if not match:
        return {"tool": None, "json_ok": False, "final_answer": "Final Answer" in text}
    tool = match.group(1).strip().strip("[]`'\"") or None
    rest = text[match.end():]
    json_ok = False
    found = ACTION_INPUT_RE.search(rest)
    if found:
        try:
            value, _ = json.JSONDecoder().raw_decode(rest[found.end():].lstrip())
            json_ok = isinstance(value, dict)
        except ValueError:
            json_ok = False
    return {"tool": tool, "json_ok": json_ok, "final_answer": False}


def score_generation(expected: str | None, generated: str) -> dict[str, Any]:
    got = parse_react(generated)
    if expected is None:
        right_tool = got["tool"] is None and got["final_answer"]
        return {"tool": got["tool"], "right_tool": right_tool, "json_ok": None, "correct": right_tool}
    right_tool = got["tool"] == expected
    return {"tool": got["tool"], "right_tool": right_tool, "json_ok": got["json_ok"],
            "correct": right_tool and got["json_ok"]}


# ---- child process side ------------------------------------------------------------------------------


def measure(spec: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """Train one adapter and evaluate before and after (runs in a fresh process)."""
    import torch

    from gpu_runner.checkpoints.loading import load_tokenizer, pin_threads
    from gpu_runner.measure import timing as m

    threads = pin_threads()
    torch.manual_seed(spec["seed"])
    device, seq_len = spec["device"], spec["seq_len"]
    report(0.0, "data")
    tok = load_tokenizer(spec["model"])
    chat = ChatFormat(tok)
    train_ex, held_ex, source = load_examples(spec)
    train, train_dropped = _supervised([chat.encode(e, seq_len) for e in train_ex])
    held, held_dropped = _supervised([chat.encode(e, seq_len) for e in held_ex])
    if not train or not held:
        raise ValueError(f"seq_len {seq_len} cuts off every assistant reply in the "
                         f"{'training' if not train else 'held-out'} examples (their prompts are longer); "
                         "raise seq_len")
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    report(0.02, "loading")
    model, backend, notes = load_for_training(spec)
    if spec["gradient_checkpointing"]:
        notes.append("gradient checkpointing on (activations recomputed in the backward pass)")
    trainable, total = model.get_nb_trainable_parameters()
    adapted = sum(1 for name, _ in model.named_modules() if name.endswith(".lora_A"))
    dev = next(p for p in model.parameters() if p.requires_grad).device
    report(0.05, "evaluating before training")
    gen_examples = held_ex[: spec["eval_examples"]]
    before = evaluate(model, chat, held, gen_examples, spec, dev)
    report(0.2, "training")
    losses, step_s, tokens, supervised = train_adapter(model, train, spec, dev, chat.tok.pad_token_id,
                                                       lambda f, s: report(0.2 + 0.6 * f, s))
    report(0.8, "evaluating after training")
    after = evaluate(model, chat, held, gen_examples, spec, dev)
    memory = {"peak_rss_bytes": m.peak_rss_bytes(), "cuda_max_allocated_bytes": None, "cuda_max_reserved_bytes": None}
    if device == "cuda":
        memory["cuda_max_allocated_bytes"] = int(torch.cuda.max_memory_allocated())
        memory["cuda_max_reserved_bytes"] = int(torch.cuda.max_memory_reserved())
    report(0.97, "saving the adapter")
    adapter = save_adapter(model, spec)
    adapter["reload_max_abs_diff"] = (reload_difference(model, adapter["path"], held, chat.tok.pad_token_id, spec)
                                      if spec["method"] == "lora" and total <= RELOAD_CHECK_MAX_PARAMS else None)
    timed = step_s[1:] or step_s  # the first step pays one-off costs
    timed_tokens, timed_supervised = (tokens[1:], supervised[1:]) if len(step_s) > 1 else (tokens, supervised)
    truncated = sum(1 for _, _, cut in train + held if cut) + train_dropped + held_dropped
    if truncated:
        notes.append(f"{truncated} examples were longer than seq_len {seq_len} and were truncated")
    if train_dropped + held_dropped:
        notes.append(f"{train_dropped} training and {held_dropped} held-out examples had no assistant token "
                     f"within seq_len {seq_len} and were left out")
    report(1.0, "done")
    return {
        "method": spec["method"], "status": "ok", "backend": backend, "torch_threads": threads,
        "dataset": {"source": source, "train_examples": len(train), "heldout_examples": len(held),
                    "truncated_examples": truncated},
        "parameters": {"trainable": int(trainable), "total": int(total),
                       "trainable_percent": 100.0 * trainable / total, "adapted_modules": adapted},
        "memory": memory, "s_per_step": m.summarize(timed)["median"], "step_seconds": step_s,
        "tokens_per_s": sum(timed_tokens) / sum(timed), "supervised_tokens_per_s": sum(timed_supervised) / sum(timed),
        "loss_curve": losses, "before": before, "after": after, "adapter": adapter, "notes": notes,
    }


def _supervised(encoded: list[tuple[list[int], list[int], bool]]) -> tuple[list, int]:
    """Examples that keep at least one supervised token after truncation (else their loss is 0/0), and how many
    were dropped."""
    kept = [e for e in encoded if any(label != IGNORE for label in e[1])]
    return kept, len(encoded) - len(kept)


def load_for_training(spec: dict[str, Any]) -> tuple[Any, str, list[str]]:
    """The base model (full precision, NF4 or GPTQ) wrapped with fresh LoRA adapters."""
    import torch
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM

    from gpu_runner.checkpoints.loading import model_path, torch_dtype

    device, method = spec["device"], spec["method"]
    dtype = torch_dtype(resolve_dtype(spec, device))
    path = model_path(spec["model"])
    notes: list[str] = []
    placement = {"device_map": device} if device == "cuda" else {}
    if method == "lora":
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **placement)
        backend = f"peft LoRA on a {resolve_dtype(spec, device)} base model ({device})"
    elif method == "qlora-nf4":
        from transformers import BitsAndBytesConfig

        qc = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                bnb_4bit_compute_dtype=torch.bfloat16 if device == "cuda" else dtype)
        try:  # on a CPU this is the probe: bitsandbytes' 4-bit CPU path may or may not work here
            model = AutoModelForCausalLM.from_pretrained(path, quantization_config=qc, device_map=device)
        except Exception as exc:  # noqa: BLE001 - any failure of the 4-bit path means it is not usable here
            raise Unsupported(f"bitsandbytes 4-bit layers do not load on this {device}: {exc}") from None
        backend = "peft LoRA on a bitsandbytes NF4 base model (double quantization)"
        notes.append("peft counts each 4-bit weight byte as two parameters (two values per byte)")
    else:
        qc = _gptq_config(path)
        if qc is None:
            raise Unsupported(f"qlora-gptq needs a GPTQ checkpoint as the model: {path}/config.json has no "
                              "quantization_config with quant_method 'gptq'")
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float16, device_map=device)
        backend = "peft LoRA on a GPTQ Int4 checkpoint (fp16 compute)"
        notes.append("an adapter trained on a GPTQ model cannot be merged into its Int4 weights")
    model.config.use_cache = False
    if method != "lora":
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=spec["gradient_checkpointing"],
                                                gradient_checkpointing_kwargs={"use_reentrant": False})
    elif spec["gradient_checkpointing"]:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    targets = spec["target_modules"]
    config = LoraConfig(r=spec["rank"], lora_alpha=spec["alpha"], lora_dropout=spec["dropout"],
                        target_modules=targets, task_type="CAUSAL_LM")
    try:
        return get_peft_model(model, config), backend, notes
    except ValueError as exc:  # peft: none of the target modules exist in this model
        raise ValueError(f"target_modules {targets!r}: {exc}") from None


def _gptq_config(path: Path) -> dict | None:
    qc = json.loads((path / "config.json").read_text()).get("quantization_config") or {}
    return qc if str(qc.get("quant_method", "")).lower() == "gptq" else None


def collate(examples: list[tuple[list[int], list[int], bool]], pad_id: int, length: int | None, dev: Any) -> dict:
    """Right-padded input_ids / attention_mask / labels; length None pads to the longest example."""
    import torch

    width = length or max(len(ids) for ids, _, _ in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, (x, y, _) in enumerate(examples):
        ids[row, :len(x)] = torch.tensor(x)
        labels[row, :len(y)] = torch.tensor(y)
        mask[row, :len(x)] = 1
    return {"input_ids": ids.to(dev), "attention_mask": mask.to(dev), "labels": labels.to(dev)}


def micro_batches(n: int, batch_size: int, count: int, seed: int) -> list[list[int]]:
    """`count` micro-batches of example indices: seeded shuffles of the whole set, one after another."""
    import random

    rng = random.Random(seed)
    order: list[int] = []
    batches = []
    for _ in range(count):
        batch = []
        while len(batch) < batch_size:
            if not order:
                order = list(range(n))
                rng.shuffle(order)
            batch.append(order.pop())
        batches.append(batch)
    return batches


def train_adapter(model: Any, train: list, spec: dict[str, Any], dev: Any, pad_id: int,
                  report: Callable[[float, str], None]) -> tuple[list[float], list[float], list[int], list[int]]:
    """AdamW over the trainable parameters; returns per-step loss, seconds, tokens and supervised tokens."""
    import time

    import torch
    from transformers import get_scheduler

    from gpu_runner.measure import timing as m

    sync = m.synchronizer(spec["device"])
    steps, accum = spec["steps"], spec["grad_accum"]
    length = spec["seq_len"] if spec["padding"] == "max_length" else None
    batches = [collate([train[i] for i in b], pad_id, length, dev)
               for b in micro_batches(len(train), spec["batch_size"], steps * accum, spec["seed"])]
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=spec["lr"], weight_decay=0.0)
    scheduler = get_scheduler(spec["lr_scheduler"], optimizer, num_warmup_steps=spec["warmup_steps"],
                              num_training_steps=steps)
    model.train()
    losses, seconds, tokens, supervised = [], [], [], []
    for step in range(steps):
        micro = batches[step * accum:(step + 1) * accum]
        sync()
        start = time.perf_counter()
        total = 0.0
        for batch in micro:
            loss = model(**batch).loss
            (loss / accum).backward()
            total += float(loss.detach())
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        sync()
        seconds.append(time.perf_counter() - start)
        losses.append(total / accum)
        tokens.append(int(sum(int(b["attention_mask"].sum()) for b in micro)))
        supervised.append(int(sum(int((b["labels"] != IGNORE).sum()) for b in micro)))
        report((step + 1) / steps, f"step {step + 1}/{steps}, loss {losses[-1]:.3f}")
    model.eval()
    return losses, seconds, tokens, supervised


def evaluate(model: Any, chat: ChatFormat, held: list, gen_examples: list[dict], spec: dict[str, Any],
             dev: Any) -> dict[str, Any]:
    """Held-out loss/perplexity over supervised tokens, and the tool-calling score of greedy generations."""
    import math

    import torch

    model.eval()
    nll, count = 0.0, 0
    with torch.inference_mode():
        for i in range(0, len(held), spec["batch_size"]):
            batch = collate(held[i:i + spec["batch_size"]], chat.tok.pad_token_id, None, dev)
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.float()
            targets = batch["labels"][:, 1:]
            losses = torch.nn.functional.cross_entropy(logits[:, :-1].transpose(1, 2), targets,
                                                       ignore_index=IGNORE, reduction="sum")
            nll += float(losses)
            count += int((targets != IGNORE).sum())
        generations = generate(model, chat, gen_examples, spec, dev)
    loss = nll / max(count, 1)
    expected = [reference_tool(e) for e in gen_examples]
    scores = [score_generation(x, g) for x, g in zip(expected, generations, strict=True)]
    react = any(x is not None for x in expected)  # a dataset without Actions has no tool-calling score
    with_tool = [s for x, s in zip(expected, scores, strict=True) if x is not None]
    samples = [{"id": e["id"], "prompt": next(t["value"] for t in e["conversations"] if t["from"] == "user")[-300:],
                "generated": g[:1000], "expected_tool": x, "tool": s["tool"], "correct": bool(s["correct"])}
               for e, g, x, s in list(zip(gen_examples, generations, expected, scores, strict=True))[:2]]
    return {"heldout_loss": loss, "heldout_perplexity": math.exp(min(loss, 700.0)),
            "task_score": sum(s["correct"] for s in scores) / len(scores) if react and scores else None,
            "tool_accuracy": sum(s["right_tool"] for s in scores) / len(scores) if react and scores else None,
            "json_valid": sum(bool(s["json_ok"]) for s in with_tool) / len(with_tool) if with_tool else None,
            "scored": len(scores) if react else 0, "samples": samples}


def generate(model: Any, chat: ChatFormat, examples: list[dict], spec: dict[str, Any], dev: Any) -> list[str]:
    """Greedy, left-padded batches; a reply ends at the end-of-turn token or after eval_max_new_tokens."""
    import torch

    pad = chat.tok.pad_token_id
    prompt_room = max(16, spec["seq_len"])
    out: list[str] = []
    batch_size = max(1, min(8, spec["batch_size"] * 4))
    for i in range(0, len(examples), batch_size):
        prompts = [chat.prompt(e, prompt_room) for e in examples[i:i + batch_size]]
        width = max(len(p) for p in prompts)
        ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts], device=dev)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=dev)
        # use_cache explicitly: training turned it off in the model's config (it conflicts with checkpointing)
        gen = model.generate(input_ids=ids, attention_mask=mask, do_sample=False, use_cache=True,
                             max_new_tokens=spec["eval_max_new_tokens"], pad_token_id=pad,
                             eos_token_id=sorted({chat.end, chat.tok.eos_token_id}))
        for row in gen[:, width:].tolist():
            cut = next((j for j, t in enumerate(row) if t in (chat.end, chat.tok.eos_token_id)), len(row))
            out.append(chat.tok.decode(row[:cut]))
    return out


def save_adapter(model: Any, spec: dict[str, Any]) -> dict[str, Any]:
    from gpu_runner.checkpoints.fixture import cache_root

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = cache_root() / "finetune-adapters" / f"{stamp}-{spec['method']}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(path))
    files = sorted(p.name for p in path.iterdir() if p.is_file())
    return {"path": str(path), "bytes": sum(os.path.getsize(path / f) for f in files), "files": files}


def reload_difference(model: Any, path: str, held: list, pad_id: int, spec: dict[str, Any]) -> float | None:
    """Max |logit difference| between the trained model and its saved adapter reloaded onto a fresh base: a check
    that what stays on the runner is what was measured. Run for full-precision LoRA on models up to
    RELOAD_CHECK_MAX_PARAMS only, since it loads the base a second time (after the memory figures are taken)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from gpu_runner.checkpoints.loading import model_path, torch_dtype

    dev = next(p for p in model.parameters() if p.requires_grad).device
    base = AutoModelForCausalLM.from_pretrained(model_path(spec["model"]),
                                                dtype=torch_dtype(resolve_dtype(spec, spec["device"]))).to(dev)
    reloaded = PeftModel.from_pretrained(base, path).eval()
    batch = collate(held[:2], pad_id, None, dev)
    with torch.inference_mode():
        mine = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.float()
        theirs = reloaded(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.float()
    del reloaded, base
    return float((mine - theirs).abs().max())
