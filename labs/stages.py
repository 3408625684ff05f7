"""The runner's stage, reason and note codes and the contract's failure codes (labcontract/stages.py) in the
learner's language; a part outside the vocabulary (an older runner's free text) is shown as the runner wrote it.
Identifiers inside a translated sentence (config fields, file names, sizes) are wrapped in <code>: names, not
prose."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from labcontract.stages import parse_failure, parse_note, parse_reason, parse_stage


def _stage_part(code: str, p: dict) -> str:
    texts = {
        "config": lambda: _("%(name)s（第 %(i)s/%(n)s 项）") % p,
        "loading": lambda: _("加载模型"),
        "warm-up": lambda: _("预热"),
        "timed-runs": lambda: _("计时运行"),
        "quality": lambda: _("质量评估"),
        "done": lambda: _("完成"),
        "data": lambda: _("准备数据"),
        "eval-before": lambda: _("训练前评估"),
        "training": lambda: _("训练"),
        "eval-after": lambda: _("训练后评估"),
        "saving-adapter": lambda: _("保存适配器"),
        "step": lambda: _("第 %(i)s/%(n)s 步，loss %(loss)s") % p,
        "tokens": lambda: _("%(n)s 个 token") % p,
        "starting-server": lambda: _("启动服务"),
        "level": lambda: _("第 %(i)s/%(n)s 级负载") % p,
        "run": lambda: _("第 %(i)s/%(n)s 轮") % p,
        "model": lambda: _("模型"),
        "prompts": lambda: _("提示词"),
        "unpacking": lambda: _("解压源码"),
        "compile-check": lambda: _("在沙箱中编译并校验"),
        "compiling": lambda: _("在沙箱中编译"),
        "harness": lambda: _("构建测试框架"),
        "copy-bandwidth": lambda: _("测内存拷贝带宽"),
        "size": lambda: f"{p['problem']} {p['size']}",
        "running-checking": lambda: _("运行并校验"),
        "kv-cache": lambda: _("KV 缓存"),
        "evaluation-texts": lambda: _("评估文本"),
        "reference-logits": lambda: _("参考 logits"),
        "tracing-decode": lambda: _("追踪带缓存的解码步（torch.export）"),
        "graph": lambda: _("%(precision)s 计算图") % {"precision": p["precision"]},
        "preparing": lambda: _("准备模型和提示词"),
        "library-baseline": lambda: _("库基线"),
        "library-roof": lambda: _("库 GEMM 上限"),
        "library-size": lambda: _("库 %(problem)s %(size)s") % p,
        "engine": lambda: p["name"],
    }
    return texts[code]() if code in texts else ""


def stage_text(text: str) -> str:
    """A job's stage: a stage the site set itself (Chinese, in the catalogue) or the runner's codes."""
    if not text:
        return ""
    translated = _(text)
    if translated != text:
        return translated
    parts = [_stage_part(code, value) or text if code else value for code, value in parse_stage(text)]
    return _("：").join(parts)


def reason_text(text: str) -> str:
    """An unsupported configuration's reason in the learner's language, else as the runner wrote it."""
    code, p = parse_reason(text)
    texts = {
        "vllm-needs-cuda": lambda: _("vLLM 只能在 CUDA GPU 上运行；这个任务在 CPU 上运行"),
        "nf4-needs-cuda": lambda: _("bitsandbytes NF4 需要 CUDA 设备；这个 runner 没有"),
        "checkpoint-needs-cuda": lambda: _("%(format)s 检查点用 gptqmodel 的 CUDA 内核运行；"
                                           "这个 runner 没有 CUDA 设备") % p,
        "qlora-gptq-needs-cuda": lambda: _("在 GPTQ Int4 检查点上做 Q-LoRA 需要 CUDA 设备（GPTQ 内核）；"
                                           "这个任务在 CPU 上运行"),
        "no-vllm": lambda: _("这个 runner 没有安装 vLLM（它需要 CUDA GPU）"),
    }
    return texts[code]() if code in texts else (text or "")


def status_text(status: str | None) -> str:
    """A configuration's status in a result (ok / unsupported / error / cancelled / skipped)."""
    texts = {"ok": lambda: _("成功"), "unsupported": lambda: _("不支持"), "error": lambda: _("出错"),
             "cancelled": lambda: _("已取消"), "skipped": lambda: _("已跳过")}
    return texts[status]() if status in texts else (status or "")


def unmeasured(entry: dict) -> list[str]:
    """A configuration that measured nothing, as the first cells of its row: its status and why."""
    return [status_text(entry.get("status")), reason_text(entry.get("reason") or "") or entry.get("error", "")]


def code(text: object) -> SafeString:
    """An identifier shown as one (a file, a config field, a command): not prose, never translated."""
    return format_html("<code>{}</code>", text)


def name(text: object) -> SafeString:
    """A model, GPU or product name inside prose: marked so that neither a translator nor a reader's browser
    translates it."""
    return format_html('<span translate="no">{}</span>', text)


def _html(template: str, p: dict) -> SafeString:
    return format_html(template, **p)


def note_text(text: str) -> str:
    """A note the runner added to a result (labcontract.stages.NOTES) in the learner's language, else as written."""
    code_, p = parse_note(str(text or ""))
    c = {k: code(v) for k, v in p.items()}
    texts = {
        "examples-truncated": lambda: _html(_("{n} 个样例超过 {seq_len}，被截断"),
                                            {"n": p["n"], "seq_len": code(f"seq_len {p['seq_len']}")}),
        "examples-left-out": lambda: _html(_("{train} 个训练样例和 {heldout} 个留出样例在 {seq_len} 以内没有助手的 "
                                             "token，被排除"), {**p, "seq_len": code(f"seq_len {p['seq_len']}")}),
        "nf4-parameter-count": lambda: _("peft 把每个 4 比特权重字节算作两个参数（每字节存两个值）"),
        "gptq-adapter-unmergeable": lambda: _("在 GPTQ 模型上训练的适配器不能合并进它的 Int4 权重"),
        "lora-backend": lambda: _html(_("peft LoRA，基座模型 {dtype}（{device}）"),
                                      {"dtype": p["dtype"], "device": p["device"].upper()}),
        "nf4-backend": lambda: _("peft LoRA，基座模型是 bitsandbytes NF4（双重量化）"),
        "gptq-backend": lambda: _("peft LoRA，基座是 GPTQ Int4 检查点（fp16 计算）"),
        "nominal-trained-length": lambda: _html(_(
            "训练长度 {n} 是这个任务设的名义值：缩放公式把 {n} 当作训练长度，但模型实际训练到 {real} 个 token，"
            "不缩放的 RoPE 过了 {n} 也不会失效；图上看的是每种缩放相对它改变了什么"), p),
        "text-repeated": lambda: _html(_("用这个分词器，评估文本有 {n} 个 token；更长的窗口会重复它，"
                                         "模型可以照抄，困惑度因此偏低"), p),
        "smollm2-gguf-quality": lambda: _html(_(
            "质量以 {gguf} 源为参照：这个模型的 fp32 是 {q} 权重反量化得到的，所以它的困惑度是 4 比特模型的，"
            "int8/int4 也是和它比，而不是和 {name} 原版的 bf16 权重比"),
            {"gguf": code("Q4_1 GGUF"), "q": code("Q4_1"), "name": name("SmolLM2")}),
        "gemma-gguf-quality": lambda: _html(_(
            "质量以 {gguf} 源为参照：这个模型的 fp32 是 {q} 权重反量化得到的，不是 {name} 原版的 bf16 权重"),
            {"gguf": code("Q4_K_M GGUF"), "q": code("Q4_K_M"), "name": name("Google Gemma 3 270M")}),
        "gemma-terms": lambda: _html(_("{gemma} 按 {terms}（{url}）提供，使用须遵守该条款"),
                                     {"gemma": name("Gemma"), "terms": name("Gemma Terms of Use"),
                                      "url": name(p["url"])}),
        "kernel-correct": lambda: _("每个尺寸的每次运行都与参考结果一致"),
        "kernel-wrong-answer": lambda: _html(_(
            "答案错误：尺寸 {size}，第 {run} 次运行，第一个出错的元素 [{row}][{col}] = {got}，应为 {expected}"
            "（允许误差 {allowed}）"), c),
        "kernel-failed-at": lambda: _html(_("{status}：尺寸 {size}：{message}"), c),
        "bandwidth-measured": lambda: _("设备内显存拷贝实测"),
        "bandwidth-published": lambda: _("按公开规格，%(doc)s") % p,
    }
    return texts[code_]() if code_ in texts else str(text or "")


def failure_text(text: str) -> str:
    """A job's error in the learner's language: a failure the contract named (FAILURES), a sentence the site set
    itself (in the catalogue), else as it was written (a runner's or compiler's own words)."""
    code_, p = parse_failure(str(text or ""))
    texts = {
        "parity-failed": lambda: _("WA：%(bad)s/%(total)s 个文档的 token id 与参考分词器不一致") % p,
        "parity-failed-somewhere": lambda: _("WA：不是每个文档的 token id 都与参考分词器一致"),
        "kernel-verdict-sizes": lambda: {
            "WA": _("WA：内核在 %(bad)s/%(total)s 个尺寸上结果错误"),
            "RE": _("RE：内核在 %(bad)s/%(total)s 个尺寸上崩溃"),
            "TLE": _("TLE：内核在 %(bad)s/%(total)s 个尺寸上超时"),
        }[p["verdict"]] % p,
        "kernel-verdict": lambda: {"WA": _("WA：内核结果错误"), "RE": _("RE：内核崩溃"),
                                   "TLE": _("TLE：内核超时")}[p["verdict"]],
    }
    if code_ in texts:
        return texts[code_]()
    return _(text) if text else ""
