"""The runner's stage and reason codes (labcontract/stages.py) in the learner's language; a part outside the
vocabulary (an older runner's free text) is shown as the runner wrote it."""

from __future__ import annotations

from django.utils.translation import gettext as _

from labcontract.stages import parse_reason, parse_stage


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
