"""The serving lab's runner-written words in the learner's language: metric definitions (gpu_runner's
loadgen.DEFINITIONS, matched by key and exact text so a changed definition shows as the runner wrote it), chart
titles and axes by chart key, and the saturation reason."""

from __future__ import annotations

from django.utils.translation import gettext as _

_DEFINITION_STARTS = {  # key -> how the runner's English text starts; translated only when it still does
    "ttft": "TTFT = arrival of the first streamed chunk carrying text - send time (includes queueing",
    "itl": "ITL = every gap between consecutive text-carrying chunks",
    "tpot": "TPOT per request = (E2EL - TTFT) / (output tokens - 1)",
    "e2el": "E2EL = arrival of the last text-carrying chunk - send time",
    "output_throughput": "sum of output tokens / level duration",
    "output_tokens": "output tokens per request from the server's usage",
    "statistics": "mean, median, p90, p99",
    "saturation": "the first level (in order of offered load) after which output tokens/s rises by less than",
    "goodput": "requests meeting every SLO given",
    "slo_attainment": "requests meeting every SLO / requests sent",
    "max_meeting_slo": "the highest request rate (or concurrency) whose SLO attainment",
}


def _definition_text(key: str) -> str:
    texts = {
        "ttft": lambda: _("TTFT = 第一个带文本的流式 chunk 到达时刻 − 发送时刻（包含排队和 prefill）；"
                          "按 vLLM bench serve 的定义。不带文本的 chunk（只有 role 的第一个、最后的 usage）不算。"),
        "itl": lambda: _("ITL = 相邻两个带文本 chunk 之间的每一个间隔，汇总这一级所有请求（vLLM bench serve）。"
                         "同一次网络读取里到达的事件，间隔接近 0。"),
        "tpot": lambda: _("每个请求的 TPOT = (E2EL − TTFT) / (输出 token 数 − 1)，只算输出多于一个 token 的请求"
                          "（vLLM bench serve）；统计量按请求计。"),
        "e2el": lambda: _("E2EL = 最后一个带文本 chunk 到达时刻 − 发送时刻（vLLM bench serve）。"),
        "output_throughput": lambda: _("输出 token 总数 / 这一级的时长（vLLM bench serve）。"),
        "output_tokens": lambda: _("每个请求的输出 token 数取服务端 usage 里的 completion_tokens（用 "
                                   "stream_options.include_usage 要求），服务端不给时按带文本 chunk 计数；"
                                   "每一级都注明用的是哪种（token_count_source）。"),
        "statistics": lambda: _("均值、中位数、p90、p99（与 vLLM 一样用 numpy 的线性插值）、"
                                "标准差、最小、最大；单位 ms。"),
        "saturation": lambda: _("饱和点：按负载从低到高，第一个“下一级的输出 tokens/s 增幅低于阈值（默认 5%）”的级别；"
                                "每一步都还在上升时为“未达到”。"),
        "goodput": lambda: _("goodput = 满足所有给定 SLO（TTFT、TPOT、E2EL；只输出一个 token 的请求 TPOT 记 0）"
                             "的请求数 / 这一级的时长（vLLM bench serve --goodput，源自 DistServe）。"),
        "slo_attainment": lambda: _("SLO 达标率 = 满足所有 SLO 的请求 / 发出的请求；失败的请求算未达标（与 GuideLLM "
                                    "计错误的方式一样）。"),
        "max_meeting_slo": lambda: _("SLO 达标率不低于目标的最高请求速率（或并发）。"),
    }
    return texts[key]() if key in texts else ""


def definition(key: str, runner_text: str) -> str:
    start = _DEFINITION_STARTS.get(key)
    if start and str(runner_text).startswith(start):
        return _definition_text(key)
    return str(runner_text)


def chart_words(key: str, chart: dict) -> tuple[str, str, str]:
    """(title, x label, y label) of one of the runner's serving charts."""
    mode = "rate" if key.endswith("_rate") else "concurrency"
    x = _("请求速率（req/s）") if mode == "rate" else _("并发（同时在途的请求数）")
    if key.startswith("latency_vs_"):
        return (_("TTFT p50/p99 与 TPOT 随请求速率的变化") if mode == "rate"
                else _("TTFT p50/p99 与 TPOT 随并发的变化")), x, "ms"
    if key.startswith("output_throughput_vs_"):
        return (_("输出 tokens/s 随请求速率的变化") if mode == "rate"
                else _("输出 tokens/s 随并发的变化")), x, _("输出 tokens/s")
    if key == "goodput_vs_rate":
        return _("goodput 随请求速率的变化"), x, "req/s"
    return chart.get("title", ""), chart.get("x", ""), chart.get("y", "")


def saturation_reason(text: str) -> str:
    if text == "output tokens/s still rose by at least the threshold at every step of the sweep":
        return _("扫描的每一步输出 tokens/s 的增幅都不低于阈值")
    return text
