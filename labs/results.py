"""The one reader of lab result shapes: each lab's summariser (tables, bar and line charts, heatmaps), its
headline figures and its evidence line, named by its entry in labs/registry.py; runner system info and job
parameters as rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy

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
    ]
    for row in rows:
        row.extend([""] * (len(headers) - len(row)))
    return {
        "headers": headers,
        "rows": rows,
        "charts": [_bars("decode tokens/s", tps, "tok/s"), _bars("peak memory", mem, "MB")],
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
    return {"headers": headers, "rows": rows, "charts": [_bars("output tokens/s", rps, "tok/s")]}


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


def serving_view(result: dict) -> dict:
    """One row per engine and load level: vLLM bench serve's figures (definitions are in the result)."""
    rows = []
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
    headers = ["engine", "status", "load", "completed", "TTFT p50 ms", "TTFT p99 ms", "TPOT p50 ms", "ITL p99 ms",
               "output tok/s", "goodput req/s", "SLO attainment"]
    return {"headers": headers, "rows": rows, "charts": []}


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
    facts = [
        ["method", str(result.get("method", "—"))], ["backend", str(result.get("backend", "—"))],
        ["trainable parameters", f"{params.get('trainable', 0):,} / {params.get('total', 0):,} "
                                 f"({_num(params.get('trainable_percent'), '{:.3f}')}%)"],
        ["peak memory", _num(peak / MB if peak else None, "{:.0f} MiB")],
        ["s/step", _num(result.get("s_per_step"), "{:.3f}")], ["tokens/s", _num(result.get("tokens_per_s"), "{:.1f}")],
        ["seq_len · batch · steps",
         f"{settings.get('seq_len')} · {settings.get('batch_size')} · {settings.get('steps')}"],
        ["adapter", f"{(result.get('adapter') or {}).get('path', '—')}"],
    ]
    return {"headers": ["", "before", "after"], "rows": rows, "charts": [],
            "tables": [{"title": gettext_lazy("训练"), "headers": [], "rows": facts}]}


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
    lengths = result.get("lengths") or []
    rows = []
    for s in result.get("settings", []):
        if s.get("status") != "ok":
            rows.append([s.get("setting"), s.get("status"), s.get("reason") or s.get("error", ""),
                         *[""] * (len(lengths) - 1)])
            continue
        cells = {c.get("length"): c for c in s.get("cells", [])}
        rows.append([s["setting"], *[_num((cells.get(n) or {}).get("perplexity")) for n in lengths],
                     str(s.get("effective_length") or "—")])
    headers = ["setting", *[f"ppl @{n}" for n in lengths], "effective length"]
    for row in rows:
        row.extend([""] * (len(headers) - len(row)))
    return {"headers": headers, "rows": rows, "charts": []}


def long_context_headline(result: dict) -> dict[str, tuple[float, str]]:
    """The effective length (passkey accuracy at or above the threshold) per RoPE setting."""
    return {s["setting"]: (s["effective_length"], "tokens") for s in result.get("settings", [])
            if s.get("status") == "ok" and _number(s.get("effective_length"))}


def long_context_evidence(result: dict) -> str:
    heads = long_context_headline(result)
    return "; ".join(f"{name}: effective length {value:.0f}" for name, (value, _unit) in heads.items())
