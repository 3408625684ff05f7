"""finetune on the site: memory, step time, loss curves and the task score before and after."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from labs.charts import MB, is_number, line_chart, num, plain, reference_table
from labs.kinds import Lab, rule


def finetune_view(result: dict) -> dict:
    """Before/after quality, the loss curve, memory and s/step beside Qwen's published figures at the same
    sequence length, two sample generations and where the adapter is (it stays on the runner)."""
    before, after = result.get("before") or {}, result.get("after") or {}
    params, memory = result.get("parameters") or {}, result.get("memory") or {}
    peak = memory.get("cuda_max_allocated_bytes") or memory.get("peak_rss_bytes")
    rows = [
        [gettext("留出集 loss"), num(before.get("heldout_loss"), "{:.3f}"), num(after.get("heldout_loss"), "{:.3f}")],
        [gettext("留出集困惑度"), num(before.get("heldout_perplexity")), num(after.get("heldout_perplexity"))],
        [gettext("任务得分"), num(before.get("task_score")), num(after.get("task_score"))],
        [gettext("工具准确率"), num(before.get("tool_accuracy")), num(after.get("tool_accuracy"))],
        [gettext("Action Input 是合法 JSON"), num(before.get("json_valid")), num(after.get("json_valid"))],
    ]
    settings = result.get("settings") or {}
    adapter = result.get("adapter") or {}
    one_step = settings.get("steps") == 1
    dataset = result.get("dataset") or {}

    def timed(text: str) -> str:  # one step is the first step: warm-up, not a step time
        return gettext("—（只有 1 步，没有计时）") if one_step else text

    facts = [
        [gettext("方法"), str(result.get("method", "—"))], [gettext("后端"), str(result.get("backend", "—"))],
        [gettext("可训练参数"), f"{params['trainable']:,} / {params['total']:,} "
                               f"({num(params.get('trainable_percent'), '{:.3f}')}%)"
         if is_number(params.get("total")) and params["total"] and is_number(params.get("trainable")) else "—"],
        [gettext("峰值内存"), num(peak / MB if peak else None, "{:.0f} MiB")],
        ["s/step", timed(num(result.get("s_per_step"), "{:.3f}"))],
        ["tokens/s", timed(num(result.get("tokens_per_s"), "{:.1f}"))],
        ["seq_len · batch_size · grad_accum · steps", f"{settings.get('seq_len')} · {settings.get('batch_size')} · "
                                                f"{settings.get('grad_accum')} · {settings.get('steps')}"],
        [gettext("数据集"), gettext("%(source)s：训练 %(train)s 条 / 留出 %(heldout)s 条") % {
            "source": dataset.get("source", "—"), "train": dataset.get("train_examples", "—"),
            "heldout": dataset.get("heldout_examples", "—")}],
    ]
    tables = [{"title": gettext("训练"), "headers": [], "rows": facts}]
    if adapter:
        tables.append({"title": gettext("适配器（留在 runner 上）"), "headers": [], "rows": [
            ["path", str(adapter.get("path", "—"))], ["size", num(is_number(adapter.get("bytes")) and
                                                                    adapter["bytes"] / MB, "{:.1f} MiB")],
            ["files", plain(adapter.get("files"))],
            ["reload max |Δ|", num(adapter.get("reload_max_abs_diff"), "{:g}")]]})
    reference = result.get("published_reference") or {}
    if reference.get("rows"):
        ours = [f"{(result.get('model_description') or {}).get('name') or result.get('model')} "
                f"({gettext('这个任务')}, {result.get('device', '—')})", str(result.get("method", "—")),
                str(settings.get("seq_len", "—")), num(peak / 1e9 if peak else None, "{:.1f}"),
                timed(num(result.get("s_per_step"), "{:.2f}"))]
        published = [[r.get("model"), r.get("method"), str(reference.get("seq_len")),
                      num(r.get("memory_gb"), "{:.1f}"),
                      num(r.get("s_per_it"), "{:.1f}")] for r in reference["rows"]]
        title = gettext("与 Qwen 公布的 LoRA / Q-LoRA 数字对比（序列长度 %(n)s）") % {"n": reference.get("seq_len")}
        if not reference.get("exact_length", True):
            title += gettext("：Qwen 没有测这个长度，这是最接近的一档")
        tables.append(reference_table(title, reference, ["model", "method", "seq_len", "memory GB", "s/it"],
                                       [ours, *published]))
    loss = [[i, v] for i, v in enumerate(result.get("loss_curve") or [], start=1)]
    step_s = [[i, v] for i, v in enumerate(result.get("step_seconds") or [], start=1)]
    lines = [line_chart(gettext("训练损失"), "step", "loss", [{"label": "loss", "points": loss}],
                   definition=gettext("每个优化步的损失：只计助手回复的 token 的平均负对数似然（用户轮次不计入）。"))] \
        if loss else []
    if step_s:
        lines.append(line_chart(gettext("每步耗时"), "step", "s", [{"label": "s/step", "points": step_s}],
                           definition=gettext("一步 = grad_accum 个 micro-batch；s/step 取第一步之后的中位数"
                                              "（第一步包含一次性的分配和 kernel 选择）。")))
    after_by_id = {x.get("id"): x for x in after.get("samples") or []}
    samples = [{"id": b.get("id"), "prompt": b.get("prompt", ""), "expected_tool": b.get("expected_tool"),
                "before": b.get("generated", ""), "before_tool": b.get("tool"), "before_correct": b.get("correct"),
                "after": (after_by_id.get(b.get("id")) or {}).get("generated", ""),
                "after_tool": (after_by_id.get(b.get("id")) or {}).get("tool"),
                "after_correct": (after_by_id.get(b.get("id")) or {}).get("correct")}
               for b in (before.get("samples") or [])[:2]]
    return {"headers": ["", "before", "after"], "rows": rows, "charts": [], "tables": tables, "lines": lines,
            "samples": samples, "notes": [str(n) for n in result.get("notes") or []],
            "statements": [gettext("任务得分：held-out 提示的贪心生成在 “Action:” 行写出参考答案的第一个工具、"
                                   "且 “Action Input:” 是 JSON 对象的比例"
                                   "（参考不调用工具时，要给出 “Final Answer:”）。")]}


def finetune_score(result: dict) -> float | None:
    """The task score after training ranks fine-tunes (s/step is not "better" when larger)."""
    score = (result.get("after") or {}).get("task_score")
    return score if is_number(score) else None


def finetune_headline(result: dict) -> dict[str, tuple[float, str]]:
    out = {}
    if is_number(result.get("s_per_step")) and (result.get("settings") or {}).get("steps") != 1:
        out["s/step"] = (result["s_per_step"], "s")
    score = (result.get("after") or {}).get("task_score")
    if is_number(score):
        out["task score after"] = (round(100 * score, 1), "%")
    return out


def finetune_evidence(result: dict) -> str:
    before, after = result.get("before") or {}, result.get("after") or {}
    if result.get("status") != "ok":
        return ""
    return (f"{result.get('method')}: {num(result.get('s_per_step'), '{:.2f}')} s/step, held-out ppl "
            f"{num(before.get('heldout_perplexity'))} → {num(after.get('heldout_perplexity'))}, task score "
            f"{num(before.get('task_score'))} → {num(after.get('task_score'))}")


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
        rules.append(rule("truncated-at-seq-len", gettext(
            "%(n)s 个样例超过 seq_len %(seq)s 被截断：截掉的是结尾，正是助手要学的 Action、Action Input "
            "和 Final Answer，模型从这些样例里学不到它们。") % {"n": truncated, "seq": seq_len},
            "react-tool-calling-data", "_3", {"seq_len": max(1024, seq_len * 4)}))
    before, after = result.get("before") or {}, result.get("after") or {}
    score = after.get("task_score")
    if is_number(score) and score < 0.5:
        loss = (before.get("heldout_loss"), after.get("heldout_loss"))
        if all(is_number(v) for v in loss) and loss[1] < loss[0]:
            text = gettext("held-out loss 从 %(b).2f 降到 %(a).2f，任务得分却只有 %(s).0f%%：loss 按 token 平均，"
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
