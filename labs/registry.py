"""The site's one description of each lab: what it is called, which queues (and so which runner capability) it
may run on, which skills it evidences, how its form fields are labelled, and how a result becomes what the
learner reads (tables, bar and line charts, a heatmap, the headline figures tracked across runs, one evidence
line). The job page, the history chart, the dashboard and the skill pages all read a lab through here.

The runner's side of a lab lives in labcontract (slug, parameter and result schemas) and gpu_runner/labs/; a
test asserts this registry and labcontract.LABS name the same labs. Adding a lab: its contract, its
measurement, one entry here and its summariser in labs/results.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

import labcontract

from . import cross_model_view, onnx_export_view, results

# What a runner must have to consume each queue: the job page names it when no usable runner has it.
QUEUE_NEEDS: Mapping[str, Promise] = {"lab.cpu": _("CPU"), "lab.cuda": _("CUDA GPU"), "lab.vllm": _("vLLM")}

# Labels of parameters several labs share; a lab's own `labels` add to / override these.
COMMON_LABELS: Mapping[str, Promise] = {
    "model": _("模型（fixture、smollm2-135m 或 runner 上的本地模型目录）"),
    "prompts": _("提示词"),
    "prompt_len": _("提示长度（token）"),
    "gen_len": _("生成长度（token）"),
    "repeats": _("计时重复次数"),
    "warmup": _("预热次数（不计时）"),
    "seed": _("随机种子"),
    "dtype": _("数据类型"),
    "engines": _("引擎"),
}


@dataclass(frozen=True)
class Lab:
    slug: str
    title: Promise
    subtitle: Promise
    queues: tuple[str, ...]  # the first is the form's default
    skills: tuple[str, ...]  # tracker Skill slugs this lab evidences when a job succeeds
    summarise: Callable[[dict], dict]  # result -> {"headers", "rows", "charts", "tables", "lines", "heatmaps",
    #                                             "statements", "samples", "notes"}: what _lab_result.html renders
    headline: Callable[[dict], dict]  # result -> {series label: (value, unit)}, the figures tracked across runs
    evidence: Callable[[dict], str]  # result -> one line of measured figures
    labels: Mapping[str, Promise] = field(default_factory=dict)
    upload: bool = False  # the form takes source files instead of schema fields (the C++ tokenizer)

    def label(self, param: str) -> str:
        return str(self.labels.get(param) or COMMON_LABELS.get(param) or param)


_ENTRIES: dict[str, Lab] = {lab.slug: lab for lab in (
    Lab(
        slug="quant-inference",
        title=_("量化推理对比"),
        subtitle=_("同一模型在 fp32/bf16/fp16/int8/int4 下的显存、速度与质量"),
        queues=labcontract.LAB_QUEUES["quant-inference"],
        skills=("quantization", "gpu-memory"),
        summarise=results.quant_view, headline=results.quant_headline, evidence=results.quant_evidence,
        labels={"precisions": _("精度"), "quality_tokens": _("质量评估的 token 数"),
                "checkpoints": _("预量化检查点（runner 上 GPTQ / AWQ 模型目录的绝对路径）")},
    ),
    Lab(
        slug="vllm-batch",
        title=_("批处理吞吐"),
        subtitle=_("逐条 HF、静态批处理、连续批处理（transformers / vLLM）的吞吐与延迟"),
        queues=labcontract.LAB_QUEUES["vllm-batch"],
        skills=("inference-acceleration",),
        summarise=results.vllm_view, headline=results.vllm_headline, evidence=results.vllm_evidence,
        labels={"num_prompts": _("请求数"), "prompt_len_min": _("最短提示长度"),
                "prompt_len_max": _("最长提示长度"), "output_len": _("输出长度"),
                "output_len_max": _("最长输出长度（留空则固定）"), "static_batch_size": _("静态批大小"),
                "gpu_memory_utilization": _("vLLM 的 gpu_memory_utilization（0–0.95，留空由 runner 按空闲显存决定）")},
    ),
    Lab(
        slug="cpp-tokenizer",
        title=_("C++ Tokenizer 校验"),
        subtitle=_("编译你的 C++ Qwen tokenizer，与 tiktoken 逐文档比对并测速"),
        queues=labcontract.LAB_QUEUES["cpp-tokenizer"],
        skills=("cpp-cuda",),
        summarise=results.cpp_view, headline=results.cpp_headline, evidence=results.cpp_evidence,
        upload=True,
    ),
    Lab(
        slug="serving-bench",
        title=_("推理服务压测"),
        subtitle=_("在 runner 上启动 OpenAI 兼容服务，按泊松到达或并发扫描负载：TTFT/TPOT/ITL、吞吐与 goodput"),
        queues=labcontract.LAB_QUEUES["serving-bench"],
        skills=("api-serving", "inference-acceleration"),
        summarise=results.serving_view, headline=results.serving_headline, evidence=results.serving_evidence,
        labels={"base_url": _("已在运行的服务地址（只允许本机回环，留空则由 runner 启动）"),
                "served_model": _("服务里的模型名（留空用 model）"), "api": _("接口"),
                "prompt_tokens": _("每个请求的提示 token 数"), "output_tokens": _("每个请求的输出 token 数"),
                "ignore_eos": _("忽略 EOS（固定输出长度）"),
                "request_rates": _("请求速率（req/s，每行一个，泊松到达；inf = 一次全发）"),
                "concurrency": _("并发数（每行一个）"), "max_concurrency": _("速率扫描时的最大并发（留空不限）"),
                "duration_s": _("每级时长（秒）"), "max_requests_per_level": _("每级最多请求数"),
                "slo": _("SLO（毫秒）"), "slo_target": _("SLO 达标率目标（0–1）"),
                "saturation_threshold": _("饱和阈值（吞吐增幅低于此比例即饱和）"),
                "warmup_requests": _("预热请求数"), "server_timeout_s": _("服务启动超时（秒）"),
                "request_timeout_s": _("单个请求超时（秒）")},
    ),
    Lab(
        slug="finetune",
        title=_("LoRA / Q-LoRA 微调"),
        subtitle=_("用 peft 在你的工具调用数据（ReAct 格式）上微调：显存、s/it、损失曲线与前后任务得分"),
        queues=labcontract.LAB_QUEUES["finetune"],
        skills=("fine-tuning",),
        summarise=results.finetune_view, headline=results.finetune_headline, evidence=results.finetune_evidence,
        labels={"method": _("方法"), "rank": _("LoRA 秩 r"), "alpha": _("LoRA alpha"), "dropout": _("LoRA dropout"),
                "target_modules": _("目标模块（all-linear，或每行一个模块名）"), "seq_len": _("序列长度"),
                "batch_size": _("批大小"), "grad_accum": _("梯度累积步数"), "steps": _("优化步数"),
                "lr": _("学习率"), "lr_scheduler": _("学习率调度"), "warmup_steps": _("预热步数"),
                "gradient_checkpointing": _("梯度检查点"), "padding": _("填充方式"), "dataset": _("数据集"),
                "train_jsonl": _("训练集 JSONL（数据集选 upload 时）"),
                "heldout_jsonl": _("留出集 JSONL（可选；不给则从训练集划分）"),
                "heldout_fraction": _("留出比例（没有留出集时）"),
                "eval_max_new_tokens": _("评估时最多生成的 token 数"),
                "eval_examples": _("评估的留出样例数")},
    ),
    Lab(
        slug="long-context",
        title=_("长上下文与 RoPE 缩放"),
        subtitle=_("linear、动态 NTK、YaRN 在不同长度下的困惑度与 passkey 检索"),
        queues=labcontract.LAB_QUEUES["long-context"],
        skills=("long-context",),
        summarise=results.long_context_view, headline=results.long_context_headline,
        evidence=results.long_context_evidence,
        labels={"settings": _("RoPE 设置（每行一个，如 “none”、“linear 4”、“yarn 4 beta_fast=32”）"),
                "trained_length": _("名义训练长度（留空用模型配置里的）"), "lengths": _("测试长度（token，每行一个）"),
                "ppl_windows": _("每个长度的困惑度窗口数"), "passkey_depths": _("passkey 深度（0–1，每行一个）"),
                "passkey_trials": _("每格 passkey 试验次数"), "accuracy_threshold": _("有效长度的准确率阈值"),
                "eval_text": _("评估文本（留空用内置文章）")},
    ),
    Lab(
        slug="onnx-export",
        title=_("ONNX Runtime 导出"),
        subtitle=_("把模型连同 KV 缓存导出成 ONNX，fp32 / int8 / int4 在 ONNX Runtime 上与 PyTorch 比速度和一致性"),
        queues=labcontract.LAB_QUEUES["onnx-export"],
        skills=("inference-acceleration", "model-portability"),
        summarise=onnx_export_view.onnx_export_view, headline=onnx_export_view.onnx_export_headline,
        evidence=onnx_export_view.onnx_export_evidence,
        labels={"model": _("模型（fixture、smollm2-135m、gemma3-270m 或 runner 上的本地模型目录）"),
                "exporter": _("导出器"), "precisions": _("精度"), "providers": _("执行提供者（execution provider）"),
                "quality_tokens": _("一致性评估的 token 数")},
    ),
    Lab(
        slug="cross-model",
        title=_("跨模型对比"),
        subtitle=_("Gemma 3 与 SmolLM2（Llama 架构）并排：config.json、参数构成、KV 缓存、速度与词表效率"),
        queues=labcontract.LAB_QUEUES["cross-model"],
        skills=("model-portability",),
        summarise=cross_model_view.cross_model_view, headline=cross_model_view.cross_model_headline,
        evidence=cross_model_view.cross_model_evidence,
        labels={"models": _("模型（每行一个：smollm2-135m、gemma3-270m、fixture 或本地目录）"),
                "batch": _("批大小"), "kv_probe_len": _("测量 KV 缓存的预填充长度（token）")},
    ),
)}
# In the contract's order (the catalogue lists them so); a test asserts both name the same labs.
LABS: dict[str, Lab] = {slug: _ENTRIES[slug] for slug in labcontract.LABS if slug in _ENTRIES} | _ENTRIES


def get(slug: str) -> Lab | None:
    """The lab, or None for one this site does not know (a job imported from a newer site)."""
    return LABS.get(slug)


def title(slug: str) -> str:
    lab = LABS.get(slug)
    return str(lab.title) if lab else slug


def labs_evidencing(skill_slug: str) -> list[Lab]:
    return [lab for lab in LABS.values() if skill_slug in lab.skills]


def summary(slug: str, result: dict | None) -> dict:
    """What a job's page and the dashboard show of a result. A lab this site does not know is shown as its raw
    JSON, never a 500."""
    lab = LABS.get(slug)
    if lab is None:
        return results.unknown_view(result)
    result = result or {}
    figures = [{"label": name, "value": value, "unit": unit} for name, (value, unit) in lab.headline(result).items()]
    view = {"tables": [], "lines": [], "heatmaps": [], "statements": [], "samples": [], "notes": [],
            **lab.summarise(result), "known": True, "headline": figures, "evidence": lab.evidence(result)}
    # Any lab on a CUDA runner: the whole job's NVML series (worker.job_telemetry) after the lab's own charts.
    view["lines"] = [*view["lines"], *results.telemetry_lines([("GPU", result.get("telemetry"))], _("整个任务"))]
    return view


def headline(slug: str, result: dict | None) -> dict[str, tuple[float, str]]:
    lab = LABS.get(slug)
    return lab.headline(result or {}) if lab else {}
