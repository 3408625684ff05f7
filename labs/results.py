"""The one reader of lab result shapes: each lab's summariser (tables, bar and line charts, heatmaps), its
headline figures and its evidence line, named by its entry in labs/registry.py; runner system info and job
parameters as rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

import labcontract

MB = 1024 * 1024


def _num(value: Any, fmt: str = "{:.2f}") -> str:
    return fmt.format(value) if isinstance(value, (int, float)) else "—"


def _bars(title: str, items: list[tuple[str, float | None]], unit: str) -> dict:
    values = [v for _, v in items if isinstance(v, (int, float))]
    top = max(values) if values else 0
    return {
        "title": title,
        "unit": unit,
        "bars": [
            {
                "label": label,
                "value": _num(v),
                "pct": round(100 * v / top) if top and isinstance(v, (int, float)) else 0,
            }
            for label, v in items
        ],
    }


def quant_view(result: dict) -> dict:
    rows, tps, mem = [], [], []
    for e in result.get("precisions", []):
        if e.get("status") != "ok":
            rows.append([e.get("precision"), e.get("status"), e.get("reason") or e.get("error", ""), *[""] * 7])
            continue
        memory = e.get("memory") or {}
        peak = memory.get("cuda_max_allocated_bytes") or memory.get("peak_rss_bytes")
        quality = e.get("quality") or {}
        rows.append(
            [
                e["precision"],
                "ok",
                e.get("backend", ""),
                _num(e.get("weight_bytes", 0) / MB, "{:.1f}"),
                _num(peak / MB if peak else None, "{:.0f}"),
                _num(e.get("load_s")),
                _num(
                    (e.get("prefill_latency_s") or {}).get("median", None) and e["prefill_latency_s"]["median"] * 1000,
                    "{:.1f}",
                ),
                _num(e.get("decode_tokens_per_s"), "{:.1f}"),
                _num(quality.get("top1_agreement"), "{:.3f}"),
                _num(quality.get("mean_kl"), "{:.4f}"),
                _num(quality.get("perplexity")),
                _num(e.get("mbu") and e["mbu"] * 100, "{:.0f}%"),
                _num(e.get("achieved_gb_per_s"), "{:.0f}"),
                {True: "yes", False: "no"}.get(e.get("compiled"), "—"),
            ]
        )
        tps.append((e["precision"], e.get("decode_tokens_per_s")))
        mem.append((e["precision"], peak / MB if peak else None))
    headers = [
        "precision",
        "status",
        "backend",
        "weights MB",
        "peak MB",
        "load s",
        "prefill ms",
        "decode tok/s",
        "top-1 agree",
        "mean KL",
        "ppl",
        "MBU",
        "achieved GB/s",
        "compiled",
    ]
    for row in rows:
        row.extend([""] * (len(headers) - len(row)))
    timed = [(e["precision"], e["telemetry"]) for e in result.get("precisions", [])
             if e.get("status") == "ok" and isinstance(e.get("telemetry"), dict)]
    return {
        "headers": headers,
        "rows": rows,
        "charts": [_bars("decode tokens/s", tps, "tok/s"), _bars("peak memory", mem, "MB")],
        "lines": telemetry_lines(timed, gettext("计时运行期间")),
    }


def vllm_view(result: dict) -> dict:
    rows, rps = [], []
    for e in result.get("engines", []):
        if e.get("status") != "ok":
            rows.append(
                [e.get("engine"), e.get("status"), e.get("reason") or e.get("error", ""), "", "", "", "", "", ""]
            )
            continue
        lat = e.get("latency_s") or {}
        rows.append(
            [
                e["engine"],
                "ok",
                _num(e.get("requests_per_s")),
                _num(e.get("output_tokens_per_s"), "{:.1f}"),
                _num(e.get("total_tokens_per_s"), "{:.1f}"),
                _num(lat.get("mean")),
                _num(lat.get("p50")),
                _num(lat.get("p99")),
                _num(e.get("speedup_vs_sequential"), "{:.2f}×"),
            ]
        )
        rps.append((e["engine"], e.get("output_tokens_per_s")))
    headers = [
        "engine",
        "status",
        "req/s",
        "output tok/s",
        "total tok/s",
        "latency mean s",
        "p50 s",
        "p99 s",
        "speedup",
    ]
    tables = [{"title": gettext("%(engine)s 的 vLLM 设置") % {"engine": e["engine"]}, "headers": [],
               "rows": [[str(k), _plain(v)] for k, v in sorted(e["vllm_settings"].items())]}
              for e in result.get("engines", []) if isinstance(e.get("vllm_settings"), dict)]
    return {"headers": headers, "rows": rows, "charts": [_bars("output tokens/s", rps, "tok/s")], "tables": tables}


CHECK_NOT_RUN = {
    "CE": gettext_lazy("编译失败"),
    "REJECTED": gettext_lazy("提交被拒绝"),
    "UNAVAILABLE": gettext_lazy("runner 上无法运行检查（没有沙箱）"),
}


def cpp_view(result: dict) -> dict:
    rows = [
        [d.get("name"), "✓" if d.get("match") else "✗", d.get("reference_tokens"), d.get("candidate_tokens")]
        for d in result.get("documents", [])
    ]
    # The runner posts the speed figures under "throughput" (gpu_runner.tokenizer_check.measure_throughput).
    speed = result.get("throughput") or {}
    charts = []
    if speed.get("candidate_mb_s"):
        charts.append(
            _bars(
                "MB/s", [("candidate", speed.get("candidate_mb_s")), ("tiktoken", speed.get("tiktoken_mb_s"))], "MB/s"
            )
        )
    status = result.get("status")
    compile_report = result.get("compile") or {}
    return {
        "headers": ["document", "match", "reference tokens", "candidate tokens"] if rows else [],
        "rows": rows,
        "charts": charts,
        "status": status,
        # CE / REJECTED / UNAVAILABLE: the tokenizer never ran, so there is no parity to show, only why.
        "check_failed": CHECK_NOT_RUN.get(status, "") if status else "",
        "missing_headers": labcontract.missing_headers(result.get("message", "")) if status == "CE" else [],
        "compile_command": compile_report.get("command", ""),
        "rate": result.get("exact_match_rate"),
        "first_mismatch": result.get("first_mismatch"),
        "message": result.get("message", ""),
        "speed": speed,
        "source_files": result.get("source_files") or [],
    }


def unknown_view(result: dict | None) -> dict:
    """A lab this site does not know (a job imported from a newer site): its raw JSON, never a 500."""
    return {"headers": [], "rows": [], "charts": [], "tables": [], "lines": [], "heatmaps": [], "known": False,
            "raw": json.dumps(result, indent=2, ensure_ascii=False, sort_keys=True) if result is not None else ""}


def _gib(value: Any) -> str:
    return f"{value / 1024**3:.1f} GiB" if isinstance(value, (int, float)) and value > 0 else "—"


def system_rows(info: dict | None) -> dict:
    """Runner system info (labcontract.CAPABILITIES plus hostname and queue) as label/value rows, one row per
    CUDA device, and the library versions; keys this code does not know are listed as they are."""
    info = dict(info or {})
    cpu = info.pop("cpu", None) or {}
    rows: list[tuple[str, str]] = []
    if isinstance(cpu, dict) and cpu:
        cores = cpu.get("cores")
        rows.append((str(gettext_lazy("CPU")), f"{cpu.get('model') or '—'}" + (f" · {cores} cores" if cores else "")))
    if "ram_bytes" in info:
        rows.append((str(gettext_lazy("内存（RAM）")), _gib(info.pop("ram_bytes"))))
    for key, label in (("hostname", gettext_lazy("主机名")), ("queue", gettext_lazy("队列"))):
        if info.get(key):
            rows.append((str(label), str(info.pop(key))))
        info.pop(key, None)
    queues = info.pop("queues", None)
    if queues:
        rows.append((str(gettext_lazy("可消费的队列")), ", ".join(map(str, queues))))
    gpus = [
        {"name": d.get("name", "—"), "memory": _gib(d.get("memory_bytes")),
         "compute_capability": d.get("compute_capability") or "—", "driver": d.get("driver") or "—"}
        for d in (info.pop("cuda_devices", None) or []) if isinstance(d, dict)
    ]
    versions = info.pop("versions", None) or {}
    versions = sorted((str(k), "—" if v is None else str(v)) for k, v in versions.items()) \
        if isinstance(versions, dict) else []
    rows.extend((str(k), _plain(v)) for k, v in sorted(info.items()))
    return {"rows": rows, "gpus": gpus, "versions": versions}


def _plain(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value) if value else "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "—" if value is None or value == "" else str(value)


def param_rows(params: dict | None) -> dict:
    """Job parameters as key/value rows; submitted source files come apart, to be shown as code."""
    params = dict(params or {})
    files = params.pop("files", None)
    sources = [{"name": name, "text": text, "bytes": len(text.encode("utf-8"))}
               for name, text in sorted(files.items())] if isinstance(files, dict) else []
    archive = params.pop("archive_b64", None)
    rows = [(str(k), _plain(v)) for k, v in params.items()]
    if isinstance(archive, str):
        rows.append((str(gettext_lazy("压缩包")), f"{len(archive) * 3 // 4:,} bytes (base64)"))
    return {"rows": rows, "sources": sources}


# ---- evidence lines (one line of measured figures for the skills dashboard) and headline figures ----------


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


def vllm_evidence(result: dict) -> str:
    return "; ".join(
        f"{e['engine']}: {e.get('output_tokens_per_s', 0):.1f} out tok/s"
        + (f" ({e['speedup_vs_sequential']:.2f}×)" if e.get("speedup_vs_sequential") else "")
        for e in result.get("engines", []) if e.get("status") == "ok")


def cpp_evidence(result: dict) -> str:
    speed = (result.get("throughput") or {}).get("ratio")
    return f"parity {result.get('exact_match_rate', 0):.0%}" + (f", {speed:.2f}× tiktoken speed" if speed else "")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def quant_headline(result: dict) -> dict[str, tuple[float, str]]:
    """Decode tokens/s per precision (failed or missing entries left out)."""
    return {e["precision"]: (e["decode_tokens_per_s"], "tok/s") for e in result.get("precisions", [])
            if e.get("status") == "ok" and _number(e.get("decode_tokens_per_s"))}


def vllm_headline(result: dict) -> dict[str, tuple[float, str]]:
    """Output tokens/s per engine."""
    return {e["engine"]: (e["output_tokens_per_s"], "tok/s") for e in result.get("engines", [])
            if e.get("status") == "ok" and _number(e.get("output_tokens_per_s"))}


def cpp_headline(result: dict) -> dict[str, tuple[float, str]]:
    """The exact-match rate, and the candidate's MB/s once it is measured."""
    out: dict[str, tuple[float, str]] = {}
    if _number(result.get("exact_match_rate")):
        out["exact match"] = (round(100 * result["exact_match_rate"], 2), "%")
    mb_s = (result.get("throughput") or {}).get("candidate_mb_s")
    if _number(mb_s):
        out["MB/s"] = (mb_s, "MB/s")
    return out


def history_chart(headline: Callable[[dict], dict], jobs) -> dict | None:
    """A line chart of the headline figures over the given jobs (oldest first): one point per job, one line
    per series; None when fewer than two jobs have a figure (a single point is no comparison)."""
    points = [(job, headline(job.result or {})) for job in jobs]
    points = [(job, figures) for job, figures in points if figures]
    if len(points) < 2:
        return None
    names: list[str] = []
    for _, figures in points:
        names.extend(n for n in figures if n not in names)
    units = {n: figures[n][1] for _, figures in points for n in figures}
    return {
        "labels": [f"#{job.pk} {timezone.localtime(job.created_at):%m-%d %H:%M}" for job, _ in points],
        "ids": [job.pk for job, _ in points],
        "datasets": [{"label": n, "unit": units[n],
                      "data": [figures[n][0] if n in figures else None for _, figures in points]} for n in names],
    }


# ---- serving-bench, finetune, long-context -------------------------------------------------------------------


def _stat(stats: Any, key: str, fmt: str = "{:.1f}") -> str:
    return _num(stats.get(key), fmt) if isinstance(stats, dict) else "—"


def _line(title: str, x: str, y: str, datasets: list[dict], *, definition: str = "", log_x: bool = False,
          log_y: bool = False, marks: list[dict] | None = None, source: str = "") -> dict:
    """A line chart for static/js/lab-charts.js: datasets of [x, y] points (reference ones drawn dashed), marks
    as vertical lines at an x, the definition its figures follow and the public source of any reference."""
    return {"title": title, "x": x, "y": y, "log_x": log_x, "log_y": log_y, "definition": definition,
            "source": source, "marks": marks or [],
            "datasets": [{"label": d["label"], "reference": bool(d.get("reference")), "scatter": bool(d.get("scatter")),
                          "points": [[px, py] for px, py in d["points"] if _number(px) and _number(py)]}
                         for d in datasets]}


def telemetry_lines(sources: list[tuple[str, dict]], when: str) -> list[dict]:
    """GPU utilisation, memory and power against time (NVML, gpu_runner/telemetry.py), one line per source."""
    ok = [(label, t["series"]) for label, t in sources
          if isinstance(t, dict) and t.get("status") == "ok" and isinstance(t.get("series"), dict)]
    if not ok:
        return []
    definition = gettext("NVML 采样（nvidia-ml-py）：利用率是采样周期内有 kernel 在运行的时间占比，"
                         "不是 SM 的使用比例。")
    out = []
    for key, title, unit, scale in (("util_pct", gettext("GPU 利用率"), "%", 1),
                                    ("mem_used_bytes", gettext("GPU 显存占用"), "MiB", 1 / MB),
                                    ("power_w", gettext("GPU 功率"), "W", 1)):
        datasets = [{"label": label, "points": [[t, v * scale if _number(v) else None]
                                                for t, v in zip(series.get("t_s") or [], series.get(key) or [],
                                                                strict=False)]}
                    for label, series in ok]
        out.append(_line(f"{title}（{when}）", "t (s)", unit, datasets, definition=definition))
    return out


def _reference_table(title: str, reference: dict, headers: list[str], rows: list[list]) -> dict:
    return {"title": title, "headers": headers, "rows": rows, "source": reference.get("source", ""),
            "setup": reference.get("setup") or reference.get("text") or ""}


def serving_view(result: dict) -> dict:
    """One row per engine and load level (vLLM bench serve's figures), each engine's charts as the runner drew
    their series, and in words where output tokens/s stopped rising and the highest load meeting the SLOs."""
    rows, lines, statements = [], [], []
    definitions = result.get("definitions") or {}
    for e in result.get("engines", []):
        if e.get("status") != "ok":
            rows.append([e.get("engine"), e.get("status"), e.get("reason") or e.get("error", ""), *[""] * 8])
            continue
        for lv in e.get("levels", []):
            load = f"{lv['request_rate']} req/s" if lv.get("request_rate") is not None else f"c={lv.get('concurrency')}"
            rows.append([e["engine"], "ok", load, f"{lv.get('completed', 0)}/{lv.get('requests', 0)}",
                         _stat(lv.get("ttft_ms"), "median"), _stat(lv.get("ttft_ms"), "p99"),
                         _stat(lv.get("tpot_ms"), "median"), _stat(lv.get("itl_ms"), "p99"),
                         _num(lv.get("output_throughput"), "{:.1f}"), _num(lv.get("goodput")),
                         _num(lv.get("slo_attainment") and lv["slo_attainment"] * 100, "{:.0f}%")])
        for chart in (e.get("charts") or {}).values():
            names = chart.get("definitions") or []
            lines.append(_line(
                f"{e['engine']}: {chart.get('title', '')}", chart.get("x", ""), chart.get("y", ""),
                [{"label": s.get("name", ""), "points": s.get("points") or [],
                  "reference": str(s.get("name", "")).startswith("SLO line")} for s in chart.get("series", [])],
                definition=" ".join(str(definitions[n]) for n in names if n in definitions)))
        statements.extend(_serving_statements(e, result))
    headers = ["engine", "status", "load", "completed", "TTFT p50 ms", "TTFT p99 ms", "TPOT p50 ms", "ITL p99 ms",
               "output tok/s", "goodput req/s", "SLO attainment"]
    return {"headers": headers, "rows": rows, "charts": [], "lines": lines, "statements": statements}


def _serving_statements(engine: dict, result: dict) -> list[str]:
    out = []
    for mode, sat in (engine.get("saturation") or {}).items():
        if not isinstance(sat, dict):
            continue
        if sat.get("found"):
            load = f"{sat['request_rate']} req/s" if mode == "rate" else f"c={sat.get('concurrency')}"
            out.append(gettext("%(engine)s 在 %(load)s 饱和：输出 %(tps)s tok/s，下一级只多 %(gain)s（阈值 %(thr)s）。")
                       % {"engine": engine["engine"], "load": load, "tps": _num(sat.get("output_throughput"), "{:.1f}"),
                          "gain": _num(sat.get("next_gain") and sat["next_gain"] * 100, "{:.1f}%"),
                          "thr": _num(sat.get("threshold") and sat["threshold"] * 100, "{:.0f}%")})
        else:
            out.append(gettext("%(engine)s 在这次扫描中没有饱和点：%(reason)s。")
                       % {"engine": engine["engine"], "reason": sat.get("reason", "—")})
    slo = result.get("slo") or {}
    if not slo:
        return [*out, gettext("%(engine)s：没有设置 SLO，所以没有 goodput 目标。") % {"engine": engine["engine"]}]
    target = _num(_number(result.get("slo_target")) and result["slo_target"] * 100, "{:.0f}%")
    slos = ", ".join(f"{k.removesuffix('_ms').upper()} ≤ {v} ms" for k, v in slo.items())
    for key, unit in (("max_rate_meeting_slo", "req/s"), ("max_concurrency_meeting_slo", "")):
        mode = "rate" if "rate" in key else "concurrency"
        if mode not in (engine.get("saturation") or {}) and engine.get(key) is None:
            continue
        value = engine.get(key)
        load = (f"{value} req/s" if unit else f"c={value}") if value is not None else None
        out.append(gettext("%(engine)s：满足 SLO（%(slos)s）且达标率 ≥ %(target)s 的最高负载是 %(load)s。")
                   % {"engine": engine["engine"], "slos": slos, "target": target, "load": load}
                   if load else gettext("%(engine)s：没有一级负载在 SLO（%(slos)s）下达到 %(target)s 的达标率。")
                   % {"engine": engine["engine"], "slos": slos, "target": target})
    return out


def serving_headline(result: dict) -> dict[str, tuple[float, str]]:
    """The highest output tokens/s each engine reached over the sweep."""
    out = {}
    for e in result.get("engines", []):
        speeds = [lv["output_throughput"] for lv in e.get("levels", []) if _number(lv.get("output_throughput"))]
        if e.get("status") == "ok" and speeds:
            out[e["engine"]] = (max(speeds), "tok/s")
    return out


def serving_evidence(result: dict) -> str:
    parts = []
    for e in result.get("engines", []):
        if e.get("status") != "ok":
            continue
        best = serving_headline({"engines": [e]}).get(e["engine"])
        slo = e.get("max_rate_meeting_slo")
        slo_c = e.get("max_concurrency_meeting_slo")
        met = f", SLOs met up to {slo} req/s" if slo is not None else f", SLOs met up to c={slo_c}" if slo_c else ""
        parts.append(f"{e['engine']}: {best[0]:.1f} out tok/s peak{met}" if best else e["engine"])
    return "; ".join(parts)


def finetune_view(result: dict) -> dict:
    """Before/after quality, the loss curve, memory and s/step beside Qwen's published figures at the same
    sequence length, two sample generations and where the adapter is (it stays on the runner)."""
    before, after = result.get("before") or {}, result.get("after") or {}
    params, memory = result.get("parameters") or {}, result.get("memory") or {}
    peak = memory.get("cuda_max_allocated_bytes") or memory.get("peak_rss_bytes")
    rows = [
        ["held-out loss", _num(before.get("heldout_loss"), "{:.3f}"), _num(after.get("heldout_loss"), "{:.3f}")],
        ["held-out perplexity", _num(before.get("heldout_perplexity")), _num(after.get("heldout_perplexity"))],
        ["task score", _num(before.get("task_score")), _num(after.get("task_score"))],
        ["tool accuracy", _num(before.get("tool_accuracy")), _num(after.get("tool_accuracy"))],
        ["valid JSON input", _num(before.get("json_valid")), _num(after.get("json_valid"))],
    ]
    settings = result.get("settings") or {}
    adapter = result.get("adapter") or {}
    facts = [
        ["method", str(result.get("method", "—"))], ["backend", str(result.get("backend", "—"))],
        ["trainable parameters", f"{params.get('trainable', 0):,} / {params.get('total', 0):,} "
                                 f"({_num(params.get('trainable_percent'), '{:.3f}')}%)"],
        ["peak memory", _num(peak / MB if peak else None, "{:.0f} MiB")],
        ["s/step", _num(result.get("s_per_step"), "{:.3f}")], ["tokens/s", _num(result.get("tokens_per_s"), "{:.1f}")],
        ["seq_len · batch · grad_accum · steps", f"{settings.get('seq_len')} · {settings.get('batch_size')} · "
                                                f"{settings.get('grad_accum')} · {settings.get('steps')}"],
        ["dataset", f"{(result.get('dataset') or {}).get('source', '—')}: "
                    f"{(result.get('dataset') or {}).get('train_examples', '—')} train / "
                    f"{(result.get('dataset') or {}).get('heldout_examples', '—')} held-out"],
    ]
    tables = [{"title": gettext("训练"), "headers": [], "rows": facts}]
    if adapter:
        tables.append({"title": gettext("适配器（留在 runner 上）"), "headers": [], "rows": [
            ["path", str(adapter.get("path", "—"))], ["size", _num(_number(adapter.get("bytes")) and
                                                                    adapter["bytes"] / MB, "{:.1f} MiB")],
            ["files", _plain(adapter.get("files"))],
            ["reload max |Δ|", _num(adapter.get("reload_max_abs_diff"), "{:g}")]]})
    reference = result.get("published_reference") or {}
    if reference.get("rows"):
        ours = [f"{(result.get('model_description') or {}).get('name') or result.get('model')} "
                f"({gettext('这个任务')}, {result.get('device', '—')})", str(result.get("method", "—")),
                str(settings.get("seq_len", "—")), _num(peak / 1e9 if peak else None, "{:.1f}"),
                _num(result.get("s_per_step"), "{:.2f}")]
        published = [[r.get("model"), r.get("method"), str(reference.get("seq_len")),
                      _num(r.get("memory_gb"), "{:.1f}"),
                      _num(r.get("s_per_it"), "{:.1f}")] for r in reference["rows"]]
        title = gettext("与 Qwen 公布的 LoRA / Q-LoRA 数字对比（序列长度 %(n)s）") % {"n": reference.get("seq_len")}
        if not reference.get("exact_length", True):
            title += gettext("：Qwen 没有测这个长度，这是最接近的一档")
        tables.append(_reference_table(title, reference, ["model", "method", "seq_len", "memory GB", "s/it"],
                                       [ours, *published]))
    loss = [[i, v] for i, v in enumerate(result.get("loss_curve") or [], start=1)]
    step_s = [[i, v] for i, v in enumerate(result.get("step_seconds") or [], start=1)]
    lines = [_line(gettext("训练损失"), "step", "loss", [{"label": "loss", "points": loss}],
                   definition=gettext("每个优化步的损失：只计助手回复的 token 的平均负对数似然（用户轮次不计入）。"))] \
        if loss else []
    if step_s:
        lines.append(_line(gettext("每步耗时"), "step", "s", [{"label": "s/step", "points": step_s}],
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


def finetune_headline(result: dict) -> dict[str, tuple[float, str]]:
    out = {}
    if _number(result.get("s_per_step")):
        out["s/step"] = (result["s_per_step"], "s")
    score = (result.get("after") or {}).get("task_score")
    if _number(score):
        out["task score after"] = (round(100 * score, 1), "%")
    return out


def finetune_evidence(result: dict) -> str:
    before, after = result.get("before") or {}, result.get("after") or {}
    if result.get("status") != "ok":
        return ""
    return (f"{result.get('method')}: {_num(result.get('s_per_step'), '{:.2f}')} s/step, held-out ppl "
            f"{_num(before.get('heldout_perplexity'))} → {_num(after.get('heldout_perplexity'))}, task score "
            f"{_num(before.get('task_score'))} → {_num(after.get('task_score'))}")


def long_context_view(result: dict) -> dict:
    """Perplexity against length per RoPE setting beside Qwen's published Qwen-7B rows, the passkey heatmap
    (depth x length) per setting, effective length, and prefill time and KV-cache bytes per length."""
    lengths = result.get("lengths") or []
    rows, costs, ppl, prefill, heatmaps = [], [], [], [], []
    for s in result.get("settings", []):
        if s.get("status") != "ok":
            rows.append([s.get("setting"), s.get("status"), s.get("reason") or s.get("error", ""),
                         *[""] * (len(lengths) - 1)])
            continue
        cells = {c.get("length"): c for c in s.get("cells", [])}
        rows.append([s["setting"], *[_num((cells.get(n) or {}).get("perplexity")) for n in lengths],
                     str(s.get("effective_length") or "—")])
        ppl.append({"label": s["setting"], "points": [[n, (cells.get(n) or {}).get("perplexity")] for n in lengths]})
        prefill.append({"label": s["setting"], "points": [[n, (cells.get(n) or {}).get("prefill_s")] for n in lengths]})
        costs.append([s["setting"], *[f"{_num((cells.get(n) or {}).get('prefill_s'), '{:.3f}')} s · "
                                      f"{_mib((cells.get(n) or {}).get('kv_cache_bytes'))}" for n in lengths]])
        heatmaps.append(_passkey_heatmap(s["setting"], cells, lengths, result.get("depths") or []))
    headers = ["setting", *[f"ppl @{n}" for n in lengths], "effective length"]
    for row in rows:
        row.extend([""] * (len(headers) - len(row)))
    trained = result.get("trained_length")
    nominal = bool(result.get("trained_length_nominal"))
    label = gettext("训练长度 %(n)s") % {"n": trained} + (gettext("（名义）") if nominal else "")
    marks = [{"x": trained, "label": label}] if _number(trained) else []
    reference = result.get("published_reference") or {}
    published = [{"label": f"{r.get('setting')} ({gettext('Qwen 公布')})", "reference": True,
                  "points": list(zip(reference.get("lengths") or [], r.get("perplexity") or [], strict=False))}
                 for r in reference.get("rows") or []]
    definition = gettext("长度 L 的困惑度 = exp(L-1 个下一 token 预测的平均 NLL)；"
                         "虚线是 Qwen 公布的 Qwen-7B 在 %(text)s 上的数字"
                         "（另一个模型、另一段文本，只比较随长度变化的形状）。") % {"text": reference.get("text", "—")}
    lines = [_line(gettext("困惑度与长度"), "tokens", "perplexity", ppl + published, definition=definition,
                   log_x=True, log_y=True, marks=marks, source=reference.get("source", "")),
             _line(gettext("预填充时间与长度"), "tokens", "s", prefill, log_x=True, marks=marks,
                   definition=gettext("预填充时间 = 构建 KV 缓存的那一次前向传播。"))]
    statements = [gettext("有效长度 = 直到该长度为止每个测试长度的 passkey 准确率都达到阈值 %(thr)s 的最大长度。")
                  % {"thr": _num(result.get("accuracy_threshold"), "{:.0%}")}]
    if nominal:
        statements.append(gettext("训练长度 %(n)s 是这个任务设的缩小的名义长度：模型实际训练到 %(real)s token，"
                                  "缩放公式把 %(n)s 当作训练长度，所以图上看的是每种缩放相对它改变了什么。")
                          % {"n": trained, "real": result.get("model_trained_length", "—")})
    return {"headers": headers, "rows": rows, "charts": [], "lines": lines, "heatmaps": heatmaps,
            "statements": statements, "notes": [str(n) for n in result.get("notes") or []],
            "tables": [{"title": gettext("每个长度的预填充时间与 KV 缓存"),
                        "headers": ["setting", *[f"@{n}: prefill · KV cache" for n in lengths]], "rows": costs}]}


def _mib(value: Any) -> str:
    return _num(_number(value) and value / MB, "{:.1f} MiB")


def _passkey_heatmap(setting: str, cells: dict, lengths: list, depths: list) -> dict:
    def cell(n: int, depth: float) -> dict:
        found = [p for p in (cells.get(n) or {}).get("passkey") or [] if p.get("depth") == depth]
        acc = found[0].get("accuracy") if found else None
        return {"value": _num(acc, "{:.0%}"), "shade": round(100 * acc) if _number(acc) else None,
                "trials": found[0].get("trials") if found else None}
    return {"title": gettext("passkey 准确率：%(setting)s") % {"setting": setting}, "setting": setting,
            "row_label": "depth", "col_label": "length", "cols": [str(n) for n in lengths],
            "rows": [{"label": f"{d:.0%}", "cells": [cell(n, d) for n in lengths]} for d in depths]}


def long_context_headline(result: dict) -> dict[str, tuple[float, str]]:
    """The effective length (passkey accuracy at or above the threshold) per RoPE setting."""
    return {s["setting"]: (s["effective_length"], "tokens") for s in result.get("settings", [])
            if s.get("status") == "ok" and _number(s.get("effective_length"))}


def long_context_evidence(result: dict) -> str:
    heads = long_context_headline(result)
    return "; ".join(f"{name}: effective length {value:.0f}" for name, (value, _unit) in heads.items())


# ---- two jobs of one lab side by side --------------------------------------------------------------------


def _differing(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    left, right = dict(a), dict(b)
    keys = [*left, *(k for k in right if k not in left)]
    return [(k, left.get(k, "—"), right.get(k, "—")) for k in keys if left.get(k, "—") != right.get(k, "—")]


def _system_pairs(info: dict | None) -> list[tuple[str, str]]:
    view = system_rows(info)
    gpus = [(f"GPU {i}", f"{g['name']} · {g['memory']} · {g['compute_capability']} · {g['driver']}")
            for i, g in enumerate(view["gpus"])]
    return [*view["rows"], *gpus, *view["versions"]]


def comparison(a, b, headline: Callable[[str, dict | None], dict]) -> dict:
    """Headline figures of two jobs with b - a and b / a, and the parameters and system info that differ."""
    fa, fb = headline(a.lab, a.result), headline(b.lab, b.result)
    figures = []
    for name in [*fa, *(n for n in fb if n not in fa)]:
        va, vb = (fa.get(name) or (None, ""))[0], (fb.get(name) or (None, ""))[0]
        both = _number(va) and _number(vb)
        figures.append({"label": name, "unit": (fa.get(name) or fb.get(name))[1], "a": va, "b": vb,
                        "diff": vb - va if both else None, "ratio": vb / va if both and va else None})
    return {"figures": figures, "params": _differing(param_rows(a.params)["rows"], param_rows(b.params)["rows"]),
            "system": _differing(_system_pairs(a.system_info), _system_pairs(b.system_info))}
