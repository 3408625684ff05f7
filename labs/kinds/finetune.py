"""finetune on the site: memory, step time, loss curves and the task score before and after."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from labcontract.labs.finetune import QWEN_PROFILE_SETUP
from labs.charts import MB, is_number, line_chart, num, reference_table
from labs.kinds import Lab, rule
from labs.stages import code, name, note_text


def _html(template: str, **parts) -> str:
    return format_html(template, **parts)


def finetune_view(result: dict) -> dict:
    """Before/after quality, the loss curve, memory and s/step beside Qwen's published figures at the same
    sequence length, two sample generations and where the adapter is (it stays on the runner)."""
    before, after = result.get("before") or {}, result.get("after") or {}
    params, memory = result.get("parameters") or {}, result.get("memory") or {}
    peak = memory.get("cuda_max_allocated_bytes") or memory.get("peak_rss_bytes")
    rows = [
        [gettext("留出集损失"), num(before.get("heldout_loss"), "{:.3f}"), num(after.get("heldout_loss"), "{:.3f}")],
        [gettext("留出集困惑度"), num(before.get("heldout_perplexity")), num(after.get("heldout_perplexity"))],
        [gettext("任务得分"), num(before.get("task_score")), num(after.get("task_score"))],
        [gettext("工具准确率"), num(before.get("tool_accuracy")), num(after.get("tool_accuracy"))],
        [_html(gettext("{field} 是合法 JSON"), field=code("Action Input")), num(before.get("json_valid")),
         num(after.get("json_valid"))],
    ]
    settings = result.get("settings") or {}
    adapter = result.get("adapter") or {}
    one_step = settings.get("steps") == 1
    dataset = result.get("dataset") or {}

    def timed(text: str) -> str:  # one step is the first step: warm-up, not a step time
        return gettext("—（只有 1 步，没有计时）") if one_step else text

    facts = [
        [gettext("方法"), code(result.get("method", "—"))], [gettext("后端"), note_text(result.get("backend", "—"))],
        [gettext("可训练参数"), f"{params['trainable']:,} / {params['total']:,} "
                               f"({num(params.get('trainable_percent'), '{:.3f}')}%)"
         if is_number(params.get("total")) and params["total"] and is_number(params.get("trainable")) else "—"],
        [gettext("峰值内存"), num(peak / MB if peak else None, "{:.0f} MiB")],
        [gettext("每步耗时（s）"), timed(num(result.get("s_per_step"), "{:.3f}"))],
        ["tokens/s", timed(num(result.get("tokens_per_s"), "{:.1f}"))],
        [code("seq_len · batch_size · grad_accum · steps"), f"{settings.get('seq_len')} · "
         f"{settings.get('batch_size')} · {settings.get('grad_accum')} · {settings.get('steps')}"],
        [gettext("数据集"), _html(gettext("{source}：训练 {train} 条 / 留出 {heldout} 条"),
                                  source=code(dataset.get("source", "—")), train=dataset.get("train_examples", "—"),
                                  heldout=dataset.get("heldout_examples", "—"))],
    ]
    tables = [{"title": gettext("训练"), "headers": [], "rows": facts}]
    if adapter:
        tables.append({"title": gettext("适配器（留在 runner 上）"), "headers": [], "rows": [
            [gettext("路径"), code(adapter.get("path", "—"))],
            [gettext("大小"), num(is_number(adapter.get("bytes")) and adapter["bytes"] / MB, "{:.1f} MiB")],
            [gettext("文件"), format_html_join(", ", "<code>{}</code>", ((f,) for f in adapter.get("files") or []))
             or "—"],
            [gettext("重新加载后 logits 的最大 |Δ|"), num(adapter.get("reload_max_abs_diff"), "{:g}")]]})
    reference = result.get("published_reference") or {}
    if reference.get("rows"):
        ours = [_html(gettext("{model}（这个任务，{device}）"),
                      model=name((result.get("model_description") or {}).get("name") or result.get("model")),
                      device=str(result.get("device", "—")).upper()), code(result.get("method", "—")),
                str(settings.get("seq_len", "—")), num(peak / 1e9 if peak else None, "{:.1f}"),
                timed(num(result.get("s_per_step"), "{:.2f}"))]
        published = [[name(r.get("model")), code(r.get("method")), str(reference.get("seq_len")),
                      num(r.get("memory_gb"), "{:.1f}"),
                      num(r.get("s_per_it"), "{:.1f}")] for r in reference["rows"]]
        title = _html(gettext("与 {qwen} 公布的 LoRA / {qlora} 数字对比（序列长度 {n}）"), qwen=name("Qwen"),
                      qlora=code("Q-LoRA"), n=reference.get("seq_len"))
        if not reference.get("exact_length", True):
            title += _html(gettext("：{qwen} 没有测这个长度，这是最接近的一档"), qwen=name("Qwen"))
        table = reference_table(title, reference, [gettext("模型"), gettext("方法"), code("seq_len"),
                                                   gettext("显存 GB"), "s/it"], [ours, *published])
        if table["setup"] == QWEN_PROFILE_SETUP:  # the contract's text, in the learner's language
            table["setup"] = _html(gettext("{gpu}，CUDA 11.8，PyTorch 2.0，{fa}，批大小 1，梯度累积 8，"
                                           "样例都填充到序列长度；{qlora} = 在 GPTQ Int4 模型上做 LoRA"),
                                   gpu=name("1x A100-SXM4-80G"), fa=name("Flash Attention 2"), qlora=code("Q-LoRA"))
        tables.append(table)
    loss = [[i, v] for i, v in enumerate(result.get("loss_curve") or [], start=1)]
    step_s = [[i, v] for i, v in enumerate(result.get("step_seconds") or [], start=1)]
    lines = [line_chart(gettext("训练损失"), "step", "loss", [{"label": "loss", "points": loss}],
                   definition=gettext("每个优化步的损失：只计助手回复的 token 的平均负对数似然（用户轮次不计入）。"))] \
        if loss else []
    if step_s:
        lines.append(line_chart(gettext("每步耗时"), "step", "s", [{"label": "s/step", "points": step_s}],
                           definition=gettext("一步 = grad_accum 个微批次；每步耗时取第一步之后的中位数"
                                              "（第一步包含一次性的内存分配和内核选择）。")))
    after_by_id = {x.get("id"): x for x in after.get("samples") or []}
    samples = [{"id": b.get("id"), "prompt": b.get("prompt", ""), "expected_tool": b.get("expected_tool"),
                "before": b.get("generated", ""), "before_tool": b.get("tool"), "before_correct": b.get("correct"),
                "after": (after_by_id.get(b.get("id")) or {}).get("generated", ""),
                "after_tool": (after_by_id.get(b.get("id")) or {}).get("tool"),
                "after_correct": (after_by_id.get(b.get("id")) or {}).get("correct")}
               for b in (before.get("samples") or [])[:2]]
    return {"headers": ["", gettext("训练前"), gettext("训练后")], "rows": rows, "charts": [], "tables": tables,
            "lines": lines,
            "samples": samples, "notes": [str(n) for n in result.get("notes") or []],
            "statements": [_html(gettext("任务得分：留出集提示的贪心生成在 {action} 行写出参考答案的第一个工具、"
                                         "且 {input} 是 JSON 对象的比例（参考不调用工具时，要给出 {final}）。"),
                                 action=code("Action:"), input=code("Action Input:"), final=code("Final Answer:"))]}


def finetune_score(result: dict) -> float | None:
    """The task score after training ranks fine-tunes (s/step is not "better" when larger)."""
    score = (result.get("after") or {}).get("task_score")
    return score if is_number(score) else None


def finetune_headline(result: dict) -> dict[str, tuple[float, str]]:
    out = {}
    if is_number(result.get("s_per_step")) and (result.get("settings") or {}).get("steps") != 1:
        out[gettext("每步耗时")] = (result["s_per_step"], "s")
    score = (result.get("after") or {}).get("task_score")
    if is_number(score):
        out[gettext("训练后任务得分")] = (round(100 * score, 1), "%")
    return out


def finetune_evidence(result: dict) -> str:
    before, after = result.get("before") or {}, result.get("after") or {}
    if result.get("status") != "ok":
        return ""
    return _html(gettext("{method}：每步 {s} 秒，留出集困惑度 {ppl_before} → {ppl_after}，任务得分 {before} → {after}"),
                 method=code(result.get("method")), s=num(result.get("s_per_step"), "{:.2f}"),
                 ppl_before=num(before.get("heldout_perplexity")), ppl_after=num(after.get("heldout_perplexity")),
                 before=num(before.get("task_score")), after=num(after.get("task_score")))


def finetune_explain(result: dict) -> list[dict]:
    """What to notice: examples cut at seq_len (their endings, the part the task scores, lost), and a held-out
    loss that fell while the task score stayed low."""
    if result.get("status") not in (None, "ok"):
        return []
    settings = result.get("settings") or {}
    seq_len, steps = settings.get("seq_len") or 0, settings.get("steps") or 0
    rules = []
    truncated = (result.get("dataset") or {}).get("truncated_examples") or 0
    if truncated:
        rules.append(rule("truncated-at-seq-len", _html(gettext(
            "{n} 个样例超过 {seq} 被截断：截掉的是结尾，正是助手要学的 {action}、{input} 和 {final}，"
            "模型从这些样例里学不到它们。"), n=truncated, seq=code(f"seq_len {seq_len}"), action=code("Action"),
            input=code("Action Input"), final=code("Final Answer")),
            "react-tool-calling-data", "_3", {"seq_len": max(1024, seq_len * 4)}))
    before, after = result.get("before") or {}, result.get("after") or {}
    score = after.get("task_score")
    if is_number(score) and score < 0.5:
        loss = (before.get("heldout_loss"), after.get("heldout_loss"))
        if all(is_number(v) for v in loss) and loss[1] < loss[0]:
            text = gettext("留出集损失从 %(b).2f 降到 %(a).2f，任务得分却只有 %(s).0f%%：损失按 token 平均，"
                           "学会了格式就降很多；得分要整条回答（工具名和 JSON 参数）都对，"
                           "需要更多步数和完整的样例。") % {
                "b": loss[0], "a": loss[1], "s": score * 100}
        else:
            text = gettext("任务得分只有 %(s).0f%%：%(steps)s 步太少，或样例被截断，模型还没学会完整的调用格式。") % {
                "s": score * 100, "steps": steps}
        rules.append(rule("task-score-low", text, "react-tool-calling-data", "_4",
                          {"steps": max(100, steps * 5), "seq_len": max(1024, seq_len)}))
    return rules

KIND = Lab(
    slug="finetune",
    title=_("LoRA / Q-LoRA 微调"),
    subtitle=_("用 peft 在你的工具调用数据（ReAct 格式）上微调：显存、s/it、损失曲线与前后任务得分"),
    skills=("fine-tuning",),
    summarise=finetune_view, headline=finetune_headline, evidence=finetune_evidence, explain=finetune_explain,
    score=finetune_score,
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
    template="labs/kinds/finetune.html",
)
