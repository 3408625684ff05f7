"""Turn a lab's JSON result into what its page shows: a table, bar charts, and a one-line evidence summary."""

from __future__ import annotations

from typing import Any

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


def cpp_view(result: dict) -> dict:
    rows = [
        [d.get("name"), "✓" if d.get("match") else "✗", d.get("reference_tokens"), d.get("candidate_tokens")]
        for d in result.get("documents", [])
    ]
    speed = result.get("speed") or {}
    charts = []
    if speed.get("candidate_mb_s"):
        charts.append(
            _bars(
                "MB/s", [("candidate", speed.get("candidate_mb_s")), ("tiktoken", speed.get("tiktoken_mb_s"))], "MB/s"
            )
        )
    return {
        "headers": ["document", "match", "reference tokens", "candidate tokens"],
        "rows": rows,
        "charts": charts,
        "status": result.get("status"),
        "rate": result.get("exact_match_rate"),
        "first_mismatch": result.get("first_mismatch"),
        "message": result.get("message", ""),
        "speed": speed,
    }


VIEWS = {"quant-inference": quant_view, "vllm-batch": vllm_view, "cpp-tokenizer": cpp_view}


def view_for(lab: str, result: dict | None) -> dict:
    return VIEWS[lab](result or {}) if lab in VIEWS else {"headers": [], "rows": [], "charts": []}


def evidence_line(lab: str, result: dict | None, device_name: str = "") -> str:
    """One line of measured figures for the skills dashboard, e.g. 'int8 on CPU: 41.0 tok/s, 120 MB'."""
    result = result or {}
    where = f" on {device_name}" if device_name else ""
    if lab == "quant-inference":
        parts = []
        for e in result.get("precisions", []):
            if e.get("status") == "ok":
                memory = e.get("memory") or {}
                peak = memory.get("cuda_max_allocated_bytes") or memory.get("peak_rss_bytes") or 0
                mbu = f", MBU {e['mbu'] * 100:.0f}%" if e.get("mbu") else ""
                parts.append(f"{e['precision']}: {e.get('decode_tokens_per_s', 0):.1f} tok/s, {peak / MB:.0f} MB{mbu}")
        return f"{'; '.join(parts)}{where}"
    if lab == "vllm-batch":
        parts = [
            f"{e['engine']}: {e.get('output_tokens_per_s', 0):.1f} out tok/s"
            + (f" ({e['speedup_vs_sequential']:.2f}×)" if e.get("speedup_vs_sequential") else "")
            for e in result.get("engines", [])
            if e.get("status") == "ok"
        ]
        return f"{'; '.join(parts)}{where}"
    if lab == "cpp-tokenizer":
        speed = (result.get("speed") or {}).get("ratio")
        return f"parity {result.get('exact_match_rate', 0):.0%}" + (f", {speed:.2f}× tiktoken speed" if speed else "")
    return ""
