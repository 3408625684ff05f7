"""What each CUDA path of bench/gpu_check.py must show, read from the report's results: pass | fail (the run showed
otherwise, or an error, with its text) | not run (with the reason: not installed, cancelled by the budget, not
applicable to that model); and the one-line verdict with the exit code."""

from __future__ import annotations

from typing import Any

RANDOM_MODEL = "random-qwen2.5-1.5b"

# tinygemm pads in-features to a multiple of 1024: on the fixture (in-features 256 and 1024) packed int4 is 15.1 MB
# against 16.1 MB of bf16, before the cuBLAS workspace, so a memory check there could not pass. It is applied to
# the model whose shape it holds for (in-features 1536 and 8960: int4 about a third of bf16).
MEMORY_CHECK_MODELS = (RANDOM_MODEL,)
NOT_MEMORY_CHECKED = ("tinygemm pads this model's in-features (256, 1024) to 1024, so its int4 weights are about "
                      "as large as bf16: the memory checks apply to " + RANDOM_MODEL)


def _row(results: list[dict[str, Any]], lab: str, model: str | None, variant: str | None = None) -> dict | None:
    return next((r for r in results if r["lab"] == lab and r["model"] == model
                 and (variant is None or r.get("variant") == variant)), None)


def _config(row: dict | None, group: str, key: str, name: str) -> dict[str, Any]:
    """The configuration a path needs, or a stand-in saying why it is not there (status and reason or error)."""
    if row is None:
        return {"status": "skipped", "reason": "not in this check's plan (--labs, --models)"}
    found = next((e for e in (row.get("result") or {}).get(group, []) if e.get(key) == name), None)
    if found is not None:
        return found
    if row["status"] == "failed":
        return {"status": "error", "error": _why(row)}
    if isinstance(row.get("result"), dict) and row["status"] != "cancelled":
        return {"status": "skipped", "reason": f"{name} was not among the {group} this run measured"}
    return {"status": row["status"], "reason": _why(row)}


def _judge(path: str, entry: dict[str, Any], test: Any) -> dict[str, Any]:
    """pass | fail (the run showed otherwise, or an error, with its text) | not run (with the reason)."""
    status = entry.get("status")
    if status == "ok":
        passed, shown = test(entry)
        return {"path": path, "status": "pass" if passed else "fail", "shown": shown}
    if status in ("unsupported", "cancelled", "skipped"):
        return {"path": path, "status": "not run", "reason": f"{status}: {entry.get('reason', '')}"[:1500]}
    return {"path": path, "status": "fail", "error": str(entry.get("error") or entry.get("reason"))[-1500:]}


def _check_quant(results: list[dict[str, Any]], model: str) -> list[dict[str, Any]]:
    eager, compiled = _row(results, "quant-inference", model, "eager"), _row(results, "quant-inference", model,
                                                                             "compiled")
    int4, bf16 = _config(eager, "precisions", "precision", "int4"), _config(eager, "precisions", "precision", "bf16")
    int8wo_c, bf16_c = (_config(compiled, "precisions", "precision", p) for p in ("int8-wo", "bf16"))
    ok = [e for e in (eager or {}).get("result", {}).get("precisions", []) if e.get("status") == "ok"]
    checks = [_judge(f"{model}: int4 packed for tinygemm", int4, lambda e: (
        "tile_packed_to_4d" in e["backend"],
        f"{e['backend']}; {e.get('quantized_weight_share', 0):.0%} of Linear weights quantized"))]

    def compiled_test(e: dict[str, Any]) -> tuple[bool, Any]:  # evidence from the run, not the plan's flag
        evidence = e.get("compile") or {}
        ratio = bf16_c.get("status") == "ok" and round(e["decode_tokens_per_s"] / bf16_c["decode_tokens_per_s"], 3)
        return (bool(evidence.get("compiled")) and evidence.get("graphs_in_timed_runs") == 0,
                {**evidence, "decode tokens/s int8-wo / bf16, both compiled": ratio or None})

    if compiled is not None:  # the plan compiles on its last model only
        checks.append(_judge(f"{model}: int8 weight-only decode compiled (graphs compiled, none while timed)",
                             int8wo_c, compiled_test))

    def mbu_test(e: dict[str, Any]) -> tuple[bool, Any]:
        same_call = all(x["prefill_latency_s"]["n"] == x["generate_latency_s"]["n"] for x in ok)
        good = all(x.get("mbu") is not None and 0 < x["mbu"] <= 1.0
                   and (x.get("telemetry") or {}).get("status") == "ok" for x in ok)
        return same_call and good, {x["precision"]: (x.get("mbu"), (x.get("telemetry") or {}).get("status"))
                                    for x in ok}

    checks.append(_judge(f"{model}: prefill timed in the same call, MBU from telemetry at most 1", bf16, mbu_test))
    name = f"{model}: int4 peak memory below the bf16 weights, quantized without the bf16 model on the GPU"
    if model not in MEMORY_CHECK_MODELS:
        checks.append({"path": name, "status": "not run", "reason": NOT_MEMORY_CHECKED})
    elif bf16.get("status") != "ok":
        checks.append(_judge(name, bf16, lambda e: (False, None)))
    else:
        def memory_test(e: dict[str, Any]) -> tuple[bool, Any]:
            mem = e["memory"]
            peak, load_peak = mem.get("cuda_max_allocated_bytes"), mem.get("cuda_load_max_allocated_bytes")
            limit = bf16["weight_bytes"]
            return (peak is not None and load_peak is not None and peak < limit and load_peak < limit,
                    {"int4_peak": peak, "int4_load_peak": load_peak, "bf16_weight_bytes": limit})

        checks.append(_judge(name, int4, memory_test))
    return checks


def path_checks(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per CUDA path: "pass" | "fail" | "not run" with what the result showed (for the GPU session to read)."""
    checks = []
    for model in dict.fromkeys(r["model"] for r in results if r["lab"] == "quant-inference"):
        checks += _check_quant(results, model)
    row = next((r for r in results if r["lab"] == "vllm-batch" and r.get("result")), None) \
        or next((r for r in results if r["lab"] == "vllm-batch"), None)

    def vllm_test(e: dict[str, Any]) -> tuple[bool, Any]:
        settings = e.get("vllm_settings", {})
        return (settings.get("enable_prefix_caching") is False
                and 0 < settings.get("gpu_memory_utilization", 0) <= 0.95, settings)

    checks.append(_judge("vllm-batch: memory share from free memory, prefix caching off",
                         _config(row, "engines", "engine", "vllm"), vllm_test))
    return checks


def _why(row: dict[str, Any]) -> str:
    return str(row.get("reason") or row.get("error") or row.get("traceback", "")[-1500:] or row["status"])


def verdict(report: dict[str, Any]) -> tuple[int, str]:
    """(exit code, one line): 1 when a run or a path check failed, else 0."""
    runs: dict[str, int] = {}
    for r in report["results"]:
        runs[r["status"]] = runs.get(r["status"], 0) + 1
    paths = {s: sum(c["status"] == s for c in report["path_checks"]) for s in ("pass", "fail", "not run")}
    failed = runs.get("failed", 0) + paths["fail"] + sum("error" in m for m in report["models"].values())
    what = (f"paths {paths['pass']} passed, {paths['fail']} failed, {paths['not run']} not run" if report["cuda_run"]
            else "CPU rehearsal, no CUDA path checked")
    run_text = ", ".join(f"{runs.get(s, 0)} {s}" for s in ("ok", "failed", "cancelled", "unsupported", "skipped"))
    line = (f"VERDICT {'FAIL' if failed else 'OK'}: {what}; runs {run_text}; "
            f"{report['wall_s']:.0f} s of the {report['budget_s']:.0f} s budget")
    return int(bool(failed)), line
