"""quant-inference on the site: precisions side by side (memory, speed, quality)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from labs.charts import MB, bar_chart, is_number, num, telemetry_lines
from labs.kinds import Lab, rule
from labs.stages import unmeasured as _unmeasured


def quant_view(result: dict) -> dict:
    rows, tps, mem = [], [], []
    for e in result.get("precisions", []):
        if e.get("status") != "ok":
            rows.append([e.get("precision"), *_unmeasured(e), *[""] * 7])
            continue
        memory = e.get("memory") or {}
        peak = memory.get("cuda_max_allocated_bytes") or memory.get("peak_rss_bytes")
        quality = e.get("quality") or {}
        rows.append(
            [
                e["precision"],
                "ok",
                e.get("backend", ""),
                num(e.get("weight_bytes", 0) / MB, "{:.1f}"),
                num(peak / MB if peak else None, "{:.0f}"),
                num(e.get("load_s")),
                num(
                    (e.get("prefill_latency_s") or {}).get("median", None) and e["prefill_latency_s"]["median"] * 1000,
                    "{:.1f}",
                ),
                num(e.get("decode_tokens_per_s"), "{:.1f}"),
                num(quality.get("top1_agreement"), "{:.3f}"),
                num(quality.get("mean_kl"), "{:.4f}"),
                num(quality.get("perplexity")),
                num(e.get("mbu") and e["mbu"] * 100, "{:.0f}%"),
                num(e.get("achieved_gb_per_s"), "{:.0f}"),
                {True: gettext("是"), False: gettext("否")}.get(e.get("compiled"), "—"),
            ]
        )
        tps.append((e["precision"], e.get("decode_tokens_per_s")))
        mem.append((e["precision"], peak / MB if peak else None))
    headers = [
        gettext("精度"),
        gettext("状态"),
        gettext("后端"),
        gettext("权重 MB"),
        gettext("峰值 MB"),
        gettext("加载 s"),
        gettext("预填充 ms"),
        gettext("解码 tok/s"),
        gettext("top-1 一致率"),
        gettext("平均 KL"),
        gettext("困惑度"),
        "MBU",
        gettext("实测 GB/s"),
        "torch.compile",
    ]
    for row in rows:
        row.extend([""] * (len(headers) - len(row)))
    timed = [(e["precision"], e["telemetry"]) for e in result.get("precisions", [])
             if e.get("status") == "ok" and isinstance(e.get("telemetry"), dict)]
    return {
        "headers": headers,
        "rows": rows,
        "charts": [bar_chart(gettext("解码速度"), tps, "tok/s"), bar_chart(gettext("峰值内存"), mem, "MB")],
        "lines": telemetry_lines(timed, gettext("计时运行期间")),
    }


def quant_evidence(result: dict) -> str:
    """e.g. "int8: 41.0 tok/s, 120 MiB; fp32: 30.2 tok/s, 480 MiB"."""
    parts = []
    for e in result.get("precisions", []):
        if e.get("status") == "ok":
            memory = e.get("memory") or {}
            peak = memory.get("cuda_max_allocated_bytes") or memory.get("peak_rss_bytes") or 0
            mbu = f", MBU {e['mbu'] * 100:.0f}%" if e.get("mbu") else ""
            parts.append(f"{e['precision']}: {e.get('decode_tokens_per_s', 0):.1f} tok/s, {peak / MB:.0f} MiB{mbu}")
    return "; ".join(parts)


def quant_headline(result: dict) -> dict[str, tuple[float, str]]:
    """Decode tokens/s per precision (failed or missing entries left out); a precision that quantized only part of
    the Linear weights says how much in its label (torchao int4 on SmolLM2-135M quantizes down_proj alone)."""
    return {_quant_label(e): (e["decode_tokens_per_s"], "tok/s") for e in result.get("precisions", [])
            if e.get("status") == "ok" and is_number(e.get("decode_tokens_per_s"))}


def quant_repeats(result: dict) -> dict[str, list[float]]:
    """Decode tokens/s of each timed run, per precision (the headline's labels)."""
    return {_quant_label(e): list(e.get("decode_tokens_per_s_runs") or []) for e in result.get("precisions", [])
            if e.get("status") == "ok" and is_number(e.get("decode_tokens_per_s"))}


def _quant_label(entry: dict) -> str:
    share = entry.get("quantized_weight_share")
    if entry["precision"] in ("int8", "int8-wo", "int4") and is_number(share) and share < 0.995:
        return f"{entry['precision']} ({share:.0%} quantized)"
    return entry["precision"]


def _peak(entry: dict):
    memory = entry.get("memory") or {}
    return memory.get("cuda_max_allocated_bytes") or memory.get("peak_rss_bytes")


def quant_explain(result: dict) -> list[dict]:
    """What to notice: decode bound by memory bandwidth, int8 slower than fp32 on a CPU, peak memory that does
    not fall with the weights, quality that moved."""
    ok = {e["precision"]: e for e in result.get("precisions", [])
          if e.get("status") == "ok" and is_number(e.get("decode_tokens_per_s"))}
    rules = []
    fixture = result.get("model") == "fixture"
    bigger = {"model": "smollm2-135m"} if fixture else {}
    if ok:
        best = max(ok.values(), key=lambda e: e["decode_tokens_per_s"])
        if is_number(best.get("mbu")):
            text = gettext("解码每生成一个 token 都要把全部权重读一遍，所以 tok/s 的上限约为内存带宽 ÷ 权重字节数："
                           "%(p)s 的 %(tps).1f tok/s 用到了这个上限的 %(mbu).0f%%（MBU）。") % {
                "p": best["precision"], "tps": best["decode_tokens_per_s"], "mbu": best["mbu"] * 100}
        else:
            text = gettext("解码每生成一个 token 都要把全部权重从内存读一遍，"
                           "所以 tok/s 的上限约为内存带宽 ÷ 权重字节数："
                           "权重越小上限越高，但只有当读权重确实是瓶颈时量化才会变快。")
        rules.append(rule("decode-bandwidth-bound", text, "decode-bandwidth-bound", "_2",
                          {"gen_len": max(64, (result.get("settings") or {}).get("gen_len") or 0)}))
    ref = ok.get("fp32")
    slower = [e for p, e in ok.items() if p in ("int8", "int8-wo", "int4") and ref
              and e["decode_tokens_per_s"] < ref["decode_tokens_per_s"]]
    if result.get("device") == "cpu" and slower:
        e = slower[0]
        rules.append(rule("int-slower-on-cpu", gettext(
            "在 CPU 上 %(p)s 比 fp32 慢（%(q).1f 对 %(f).1f tok/s）：CPU 上的 torchao 整数路径没有融合的低精度矩阵乘，"
            "每次乘法都要先量化激活、再反量化或重新缩放，这些额外计算比省下的内存读取更贵；"
            "小模型的权重大半在缓存里，省带宽本来就没有收益。") % {
                "p": e["precision"], "q": e["decode_tokens_per_s"], "f": ref["decode_tokens_per_s"]},
            "precision-formats", "_2", bigger or {"precisions": ["fp32", "int8-wo"]}))
    rising = [e for p, e in ok.items() if ref and p != "fp32" and _peak(e) and _peak(ref)
              and _peak(e) >= _peak(ref) and (e.get("weight_bytes") or 0) < (ref.get("weight_bytes") or 0)]
    if rising:
        e = rising[0]
        rules.append(rule("peak-memory-not-weights", gettext(
            "%(p)s 的权重只有 fp32 的 %(share).0f%%，峰值内存却没有降（%(peak).0f 对 %(ref).0f MB）："
            "量化先按原精度加载再转换，转换时两份权重同时在内存里，峰值还包括 Python、PyTorch 和量化内核本身；"
            "省了多少请看 weights MB 一列，模型越大这部分越占主导。") % {
                "p": e["precision"], "share": e["weight_bytes"] / ref["weight_bytes"] * 100,
                "peak": _peak(e) / MB, "ref": _peak(ref) / MB},
            "gpu-memory-optimization", "_1", bigger or {"precisions": ["fp32", e["precision"]]}))
    drifted = [e for p, e in ok.items() if p != result.get("reference_precision", "fp32")
               and is_number((e.get("quality") or {}).get("top1_agreement")) and e["quality"]["top1_agreement"] < 0.9]
    if drifted:
        e = drifted[0]
        rules.append(rule("quality-drift", gettext(
            "%(p)s 与参考精度的 top-1 一致率只有 %(agree).0f%%：量化误差改变了下一个 token 的排序；"
            "%(why)s") % {"p": e["precision"], "agree": e["quality"]["top1_agreement"] * 100,
                          "why": gettext("随机权重的 fixture 模型 logits 很平，最容易翻转，换真实模型再看。") if fixture
                          else gettext("看 mean KL 判断是少数 token 翻转还是整体偏移。")},
            "gptq-awq", "_1", bigger or {"quality_tokens": 512}))
    return rules


KIND = Lab(
    slug="quant-inference",
    title=_("量化推理对比"),
    subtitle=_("同一模型在 fp32/bf16/fp16/int8/int4 下的显存、速度与质量"),
    skills=("quantization", "gpu-memory"),
    summarise=quant_view, headline=quant_headline, evidence=quant_evidence, explain=quant_explain,
    repeats=quant_repeats,
    labels={"precisions": _("精度"), "quality_tokens": _("质量评估的 token 数"),
            "compile": _("torch.compile 解码（所有精度一致；仅 CUDA）"),
            "checkpoints": _("预量化检查点（runner 上 GPTQ / AWQ 模型目录的绝对路径）")},
)
