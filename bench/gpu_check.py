"""GPU check: one prepared command that runs every CUDA path of every lab on a machine with an NVIDIA GPU
and writes one JSON report (per lab, model and configuration: ok | unsupported with reason | failed with
traceback; the lab's figures; NVML telemetry through each run).

Why: nothing in the labs' CUDA paths can run on the development or CI machines, and a GPU machine may be
lent for minutes at a time, offline, with another Python. So the check is prepared here and carried there:
it calls each lab's ``run(params, LabContext(...))`` directly (no site, no Celery), on two models:
- the fixture (tiny, random, built on the runner from a fixed seed: every path quickly);
- a model with Qwen2.5-1.5B-Instruct's shape (its public config.json on the Hugging Face Hub), weights random,
  built on the GPU in a fresh process and saved once, so that memory, speed and MBU are real figures even
  though quality figures are not (the fixture's tokenizer is used: no download).
After the runs, ``path_checks`` says per CUDA path whether the result showed what the path must (int4 packed for
tinygemm, int8 weight-only compiled, peak memory after quantizing, prefill and decode from one call with MBU at
most 1 and NVML telemetry, vLLM's memory share and prefix caching off): pass | fail | not run (with the reason).
Total wall time is capped (``--budget-s``, default 480 s = 8 minutes): each run has a share and is cancelled
past it; what the budget no longer covers is reported as skipped.

The device machine (Python 3.12, a CUDA torch 2.11, transformers 5.17, peft; no vLLM, no bitsandbytes, no
network) needs the few pure-runner packages it lacks; they travel as wheels prepared here beforehand by
bench/gpu_check_wheels.sh (into var/gpu_check_wheels, well under the 64 MiB carry limit). Exact commands:

    # here, once (PyPI reachable):
    bash bench/gpu_check_wheels.sh
    # there (carry var/gpu_check_wheels), from the repository root:
    python -m pip install --no-index --find-links var/gpu_check_wheels -r bench/gpu_check_requirements.txt \\
        && python bench/gpu_check.py --json --out "$OUT/gpu_check.json"

Anything not installed there (vLLM, bitsandbytes, gptqmodel) shows up as "unsupported" with the lab's own
reason. On a machine without CUDA every lab is reported as "unsupported: no CUDA device" in about a second.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BUDGET_S = 480.0
BUILD_CAP_S = 60.0  # building and saving the random 1.5B model (seconds on a data-centre GPU)
RANDOM_MODEL = "random-qwen2.5-1.5b"
# Qwen/Qwen2.5-1.5B-Instruct config.json (Hugging Face Hub): the shape only, weights are random.
QWEN25_15B_CONFIG: dict[str, Any] = {
    "hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28, "num_attention_heads": 12,
    "num_key_value_heads": 2, "vocab_size": 151936, "max_position_embeddings": 32768, "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-6, "tie_word_embeddings": True, "hidden_act": "silu", "use_sliding_window": False,
}
LAB_MODULES = {
    "quant-inference": "gpu_runner.labs.quant_inference",
    "vllm-batch": "gpu_runner.labs.vllm_batch",
    "cpp-tokenizer": "gpu_runner.labs.cpp_tokenizer",
    "serving-bench": "gpu_runner.labs.serving_bench",
    "finetune": "gpu_runner.labs.finetune",
    "long-context": "gpu_runner.labs.long_context",
    "kernels": "gpu_runner.labs.kernels",
}
ALL_PRECISIONS = ["fp32", "bf16", "fp16", "int8", "int8-wo", "int4", "nf4", "gptq", "awq"]


def plan(models: list[str]) -> list[dict[str, Any]]:
    """(lab, model, variant, params overrides, time share in s). Fixture runs first: every path, quickly."""
    runs: list[dict[str, Any]] = []
    for model in models:
        big = model != "fixture"
        runs += [
            {"lab": "quant-inference", "share_s": 75 if big else 40, "params": {
                "precisions": ["bf16", "fp16", "int8", "int8-wo", "int4", "nf4"] if big else ALL_PRECISIONS,
                "prompt_len": 64 if big else 32, "gen_len": 32 if big else 16, "repeats": 2, "warmup": 1,
                "quality_tokens": 64}},
            {"lab": "vllm-batch", "share_s": 40 if big else 30, "params": {
                "engines": ["hf-sequential", "hf-static-batch", "hf-continuous-batching", "vllm"],
                "num_prompts": 8, "output_len": 8, "output_len_max": 24, "repeats": 1}},
            {"lab": "serving-bench", "share_s": 45 if big else 40, "params": {
                "engines": ["transformers", "transformers-cb", "vllm"], "concurrency": [1, 4], "request_rates": [],
                "duration_s": 4, "max_requests_per_level": 8, "prompt_tokens": 32, "output_tokens": 16,
                "server_timeout_s": 120, "request_timeout_s": 60}},
            {"lab": "finetune", "variant": "lora", "share_s": 35 if big else 20, "params": {
                "method": "lora", "steps": 4, "seq_len": 256, "batch_size": 2, "eval_examples": 4,
                "eval_max_new_tokens": 16}},
            {"lab": "finetune", "variant": "qlora-nf4", "share_s": 15, "params": {
                "method": "qlora-nf4", "steps": 4, "seq_len": 256, "batch_size": 2, "eval_examples": 4,
                "eval_max_new_tokens": 16}},
            {"lab": "long-context", "share_s": 30 if big else 20, "params": {
                "lengths": [512, 2048] if big else [128, 256, 512], "trained_length": 512 if big else 256,
                "passkey_trials": 1, "passkey_depths": [0.5]}},
        ]
        for r in runs[-6:]:
            r["model"] = model
    # The kernel lab's CUDA path (nvcc in the sandbox with the GPU's device nodes, cuBLAS through torch): no model.
    gemm_cu = (ROOT / "content/labs/kernels/gemm/steps/4-register-blocked.cu").read_text()
    runs.append({"lab": "kernels", "model": None, "no_model": True, "share_s": 15, "params": {
        "problem": "gemm", "target": "cuda", "source": gemm_cu, "sizes": [[512, 512, 512], [1023, 1025, 1027]],
        "repeats": 3}})
    runs.append({"lab": "cpp-tokenizer", "model": None, "share_s": 0, "params": {},
                 "no_cuda_path": "the C++ tokenizer lab compiles and runs the learner's code on the CPU only"})
    return runs


def params_for(lab: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The lab's params with defaults filled from its labcontract schema (wherever the schema lives now)."""
    import labcontract

    if lab in getattr(labcontract, "LAB_PARAMS", {}):
        return labcontract.lab_params_with_defaults(lab, overrides)
    schema = None
    for mod_name in ("labcontract.serving", "labcontract.finetune", "labcontract.long_context"):
        try:
            mod = importlib.import_module(mod_name)
        except ImportError:
            continue
        if getattr(mod, "LAB", None) == lab and hasattr(mod, "validate_params"):
            return mod.validate_params(dict(overrides))
        for name in dir(mod):
            value = getattr(mod, name)
            if name.endswith("_PARAMS") and isinstance(value, dict) and lab.replace("-", "_").upper() in name:
                schema = value
    if schema is None:
        raise LookupError(f"no params schema for lab {lab!r} in labcontract")
    filled = {k: v["default"] for k, v in schema["properties"].items() if "default" in v}
    filled.update(overrides)
    return filled


def configs_of(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-configuration outcome inside a lab's result: every list of dicts carrying a "status"."""
    out = []
    for key, value in result.items():
        if isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict) and "status" in entry:
                    name = next((str(entry[k]) for k in ("precision", "engine", "setting", "name", "method")
                                 if k in entry), key)
                    status = {"ok": "ok", "unsupported": "unsupported"}.get(entry["status"], "failed")
                    row = {"config": name, "group": key, "status": status}
                    for k in ("reason", "error"):
                        if entry.get(k):
                            row["reason" if status == "unsupported" else "error"] = str(entry[k])[-3000:]
                    for k in ("decode_tokens_per_s", "mbu", "weight_bytes", "output_tokens_per_s", "memory"):
                        if k in entry:
                            row[k] = entry[k]
                    out.append(row)
    return out


# ---- what each CUDA path must show ---------------------------------------------------------------------


def _entries(results: list[dict[str, Any]], lab: str, group: str, model: str | None = None) -> list[dict[str, Any]]:
    return [e for r in results if r["lab"] == lab and isinstance(r.get("result"), dict)
            and (model is None or r["model"] == model) for e in r["result"].get(group, [])]


def _ok(entries: list[dict[str, Any]], key: str, name: str) -> dict[str, Any] | None:
    return next((e for e in entries if e.get(key) == name and e.get("status") == "ok"), None)


def _check_quant(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    checks = []
    for model in dict.fromkeys(r["model"] for r in results if r["lab"] == "quant-inference"):
        entries = _entries(results, "quant-inference", "precisions", model)
        ok = [e for e in entries if e.get("status") == "ok"]
        if not entries:  # the lab itself did not run (no CUDA, a failure, the budget)
            row = next(r for r in results if r["lab"] == "quant-inference" and r["model"] == model)
            checks.append(_verdict(f"{model}: quant-inference", False, None, _why(row)))
            continue
        int4, int8wo, bf16 = _ok(entries, "precision", "int4"), _ok(entries, "precision", "int8-wo"), \
            _ok(entries, "precision", "bf16")
        why_not = {e["precision"]: e.get("reason") or e.get("error", "")[-300:] for e in entries if e not in ok}
        checks.append(_verdict(f"{model}: int4 packed for tinygemm", int4 and "tile_packed_to_4d" in int4["backend"],
                               int4 and int4["backend"], why_not.get("int4")))
        ratio = int8wo and bf16 and round(int8wo["decode_tokens_per_s"] / bf16["decode_tokens_per_s"], 3)
        checks.append(_verdict(f"{model}: int8 weight-only decode compiled", int8wo and int8wo.get("compiled"),
                               int8wo and f"decode tokens/s int8-wo / bf16 = {ratio}", why_not.get("int8-wo")))
        peaks = {e["precision"]: e["memory"].get("cuda_max_allocated_bytes") for e in ok}
        checks.append(_verdict(f"{model}: int4 peak memory below the bf16 weights",
                               int4 and bf16 and peaks.get("int4") is not None
                               and peaks["int4"] < bf16["weight_bytes"],
                               f"peaks {peaks}, bf16 weights {bf16 and bf16['weight_bytes']}",
                               why_not.get("int4") or why_not.get("bf16")))
        same_call = ok and all(e["prefill_latency_s"]["n"] == e["generate_latency_s"]["n"] for e in ok)
        checks.append(_verdict(f"{model}: prefill timed in the same call, MBU from telemetry at most 1",
                               same_call and all(e.get("mbu") is not None and 0 < e["mbu"] <= 1.0
                                                 and e.get("telemetry", {}).get("status") == "ok" for e in ok),
                               {e["precision"]: (e.get("mbu"), e.get("telemetry", {}).get("status")) for e in ok},
                               None if ok else "no precision ran"))
    return checks


def path_checks(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per CUDA path: "pass" | "fail" | "not run" with what the result showed (for the GPU session to read)."""
    checks = _check_quant(results)
    engines = _entries(results, "vllm-batch", "engines")
    vllm = _ok(engines, "engine", "vllm")
    reasons = [e.get("reason") or e.get("error", "")[-300:] for e in engines if e.get("engine") == "vllm"]
    reasons += [_why(r) for r in results if r["lab"] == "vllm-batch" and not isinstance(r.get("result"), dict)]
    settings = (vllm or {}).get("vllm_settings", {})
    checks.append(_verdict("vllm-batch: memory share from free memory, prefix caching off",
                           vllm and settings.get("enable_prefix_caching") is False
                           and 0 < settings.get("gpu_memory_utilization", 0) <= 0.95,
                           settings, reasons[0] if reasons and not vllm else None))
    return checks


def _why(row: dict[str, Any]) -> str:
    return str(row.get("reason") or row.get("error") or row.get("traceback", "")[-300:] or row["status"])


def _verdict(path: str, passed: Any, shown: Any, not_run: str | None) -> dict[str, Any]:
    status = "pass" if passed else ("not run" if not_run else "fail")
    return {"path": path, "status": status, "shown": shown if passed or not not_run else None,
            **({"reason": not_run} if status == "not run" else {})}


# ---- the random model with a real shape (runs in a fresh process on the GPU) -----------------------------


def build_random_model(spec: dict[str, Any], report: Any) -> dict[str, Any]:
    """Child side: Qwen2.5-1.5B's shape, random bf16 weights initialised on the GPU, saved with the fixture's
    Hugging Face tokenizer (ids fit: the fixture vocabulary is far smaller than 151,936)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from gpu_runner.labs.serving_bench import serving_fixture_dir

    target = Path(spec["target"])
    device = spec.get("device", "cuda")  # "cpu" only in the tests here, with a shrunken shape
    tok_dir = serving_fixture_dir()
    torch.manual_seed(0)
    config = Qwen2Config(**{**QWEN25_15B_CONFIG, **spec.get("config_overrides", {})}, dtype="bfloat16")
    config.architectures = ["Qwen2ForCausalLM"]
    started = time.perf_counter()
    with torch.device(device):
        model = Qwen2ForCausalLM(config).to(torch.bfloat16).eval()
    if device == "cuda":
        torch.cuda.synchronize()
    built_s = time.perf_counter() - started
    gen = json.loads((tok_dir / "generation_config.json").read_text()) \
        if (tok_dir / "generation_config.json").is_file() else {}
    model.generation_config.eos_token_id = gen.get("eos_token_id", model.generation_config.eos_token_id)
    model.generation_config.pad_token_id = gen.get("pad_token_id", model.generation_config.eos_token_id)
    model.save_pretrained(target)
    for f in tok_dir.iterdir():
        if f.is_file() and not f.name.endswith((".safetensors", ".bin")) and f.name not in (
                "config.json", "generation_config.json", "fixture.json", "model.safetensors.index.json"):
            shutil.copy(f, target / f.name)
    params = sum(p.numel() for p in model.parameters())
    return {"dir": str(target), "parameters": params, "built_on_gpu_s": built_s,
            "weight_bytes": sum(p.numel() * p.element_size() for p in model.parameters())}


# ---- orchestration ------------------------------------------------------------------------------------


def host_info() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform()}
    for dist in ("torch", "transformers", "peft", "accelerate", "torchao", "vllm", "bitsandbytes", "gptqmodel",
                 "optimum", "nvidia-ml-py", "prometheus-client", "fastapi", "openai"):
        try:
            info[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            info[dist] = None
    return info


def cuda_status() -> tuple[bool, str]:
    if importlib.util.find_spec("torch") is None:
        return False, "no CUDA device: torch is not installed"
    import torch

    if not torch.cuda.is_available():
        return False, f"no CUDA device (torch {torch.__version__}, CUDA build {torch.version.cuda})"
    return True, torch.cuda.get_device_name(0)


def prepared(run: dict[str, Any]) -> str:
    """"ok" when the lab imports and the planned params validate against its schema, else the error."""
    try:
        importlib.import_module(LAB_MODULES[run["lab"]])
        params_for(run["lab"], {**run["params"], **({} if run.get("no_model") else {"model": "fixture"})})
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"[-2000:]
    return "ok"


def run_one(run: dict[str, Any], model_ref: str, deadline: float, device: str = "cuda") -> dict[str, Any]:
    from gpu_runner.capabilities import probe
    from gpu_runner.errors import LabCancelled, Unsupported
    from gpu_runner.labs import LabContext
    from gpu_runner.telemetry import GpuSampler

    row: dict[str, Any] = {"lab": run["lab"], "model": run["model"], "variant": run.get("variant")}
    try:
        module = importlib.import_module(LAB_MODULES[run["lab"]])
    except Exception:  # noqa: BLE001 - a lab that does not import here is reported, not fatal
        return {**row, "status": "failed", "stage": "import", "traceback": traceback.format_exc()[-6000:]}
    try:
        params = params_for(run["lab"], {**run["params"], **({} if run.get("no_model") else {"model": model_ref})})
    except Exception:  # noqa: BLE001
        return {**row, "status": "failed", "stage": "params", "traceback": traceback.format_exc()[-6000:]}
    stages: list[str] = []

    def progress(percent: int, stage: str) -> bool:
        if not stages or stages[-1] != stage:
            stages.append(stage)
        return time.monotonic() > deadline  # True cancels the run

    ctx = LabContext(device=device, capabilities=probe(check_vllm=False), progress=progress,
                     child_timeout_s=max(10.0, deadline - time.monotonic()))
    started = time.monotonic()
    sampler = GpuSampler(interval_ms=200).start()
    try:
        result = module.run(params, ctx)
        row.update(status="ok", result=result, configs=configs_of(result))
        top = result.get("status")  # some labs report the whole run's outcome in the result itself
        if top == "unsupported":
            row.update(status="unsupported", reason=str(result.get("reason", "")))
        elif top not in (None, "ok"):
            row.update(status="failed", error=str(result.get("error", top))[-3000:])
        elif any(c["status"] == "failed" for c in row["configs"]):
            row["status"] = "failed"
    except Unsupported as exc:
        row.update(status="unsupported", reason=str(exc))
    except LabCancelled:
        row.update(status="failed", error=f"ran past its {run['share_s']} s share of the budget: cancelled")
    except Exception:  # noqa: BLE001
        row.update(status="failed", traceback=traceback.format_exc()[-6000:])
    row["wall_s"] = round(time.monotonic() - started, 2)
    row["telemetry"] = sampler.stop()
    row["stages"] = stages[-20:]
    row["log_tail"] = ctx.log.text()[-3000:]
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    ap.add_argument("--out", default=str(ROOT / "var" / "gpu_check.json"), help="where to write the report")
    ap.add_argument("--budget-s", type=float, default=BUDGET_S, help="total wall-time cap (default 480)")
    ap.add_argument("--models", default=f"fixture,{RANDOM_MODEL}", help="comma-separated: fixture, " + RANDOM_MODEL)
    ap.add_argument("--labs", default="", help="only these labs (comma-separated), default all")
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda",
                    help="cpu: run the plan on the CPU with the fixture (a check of this script, not of the GPU)")
    ap.add_argument("--share-s", type=float, default=None, help="give every run this share instead of the plan's")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    hard_deadline = t0 + args.budget_s
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = [m for m in models if m not in ("fixture", RANDOM_MODEL)]
    if bad:
        ap.error(f"--models: unknown {', '.join(bad)}; choose from fixture, {RANDOM_MODEL}")
    runs = plan(models)
    if args.labs:
        wanted = {x.strip() for x in args.labs.split(",")}
        unknown = wanted - set(LAB_MODULES)
        if unknown:
            ap.error(f"--labs: unknown {', '.join(sorted(unknown))}; choose from {', '.join(LAB_MODULES)}")
        runs = [r for r in runs if r["lab"] in wanted]
    if args.share_s is not None:
        for r in runs:
            r["share_s"] = args.share_s
    cuda, detail = cuda_status()
    if args.device == "cpu":
        if RANDOM_MODEL in models:
            ap.error("--device cpu runs the fixture only: add --models fixture")
        cuda, detail = True, "cpu (checking gpu_check itself; no CUDA path runs)"
    report: dict[str, Any] = {"check": "deploydojo gpu_check", "budget_s": args.budget_s, "host": host_info(),
                              "run_device": args.device,
                              "cuda": cuda, "device": detail if cuda else None, "models": {}, "results": []}
    if cuda and args.device == "cuda":
        from gpu_runner.telemetry import nvml_unavailable_reason

        report["nvml"] = nvml_unavailable_reason() or "ok"
        try:
            from gpu_runner.bandwidth import device_bandwidth

            report["device_bandwidth"] = device_bandwidth()
        except Exception as exc:  # noqa: BLE001
            report["device_bandwidth"] = {"error": f"{type(exc).__name__}: {exc}"}
    workdir = Path(tempfile.mkdtemp(prefix="dd-gpu-check-"))
    model_refs: dict[str, str | None] = {"fixture": "fixture"}
    try:
        if cuda and RANDOM_MODEL in models:
            from gpu_runner.fresh_process import run_in_fresh_process

            try:
                built = run_in_fresh_process("bench.gpu_check:build_random_model",
                                             {"target": str(workdir / RANDOM_MODEL)},
                                             timeout_s=max(10.0, min(BUILD_CAP_S, hard_deadline - time.monotonic())))
                model_refs[RANDOM_MODEL] = built["dir"]
                report["models"][RANDOM_MODEL] = {**built, "config": QWEN25_15B_CONFIG,
                                                  "note": "random weights: quality figures mean nothing"}
            except Exception as exc:  # noqa: BLE001
                model_refs[RANDOM_MODEL] = None
                report["models"][RANDOM_MODEL] = {"error": f"{type(exc).__name__}: {exc}"}
        for run in runs:
            row = {"lab": run["lab"], "model": run["model"], "variant": run.get("variant")}
            if "no_cuda_path" in run:
                report["results"].append({**row, "status": "unsupported",
                                          "reason": f"no CUDA path: {run['no_cuda_path']}"})
                continue
            if not cuda:  # still check that the lab imports and its planned params fit its schema
                report["results"].append({**row, "status": "unsupported", "reason": detail,
                                          "prepared": prepared(run)})
                continue
            ref = model_refs.get(run["model"])
            if ref is None and not run.get("no_model"):
                report["results"].append({**row, "status": "unsupported",
                                          "reason": f"model {run['model']} could not be built (see models)"})
                continue
            left = hard_deadline - time.monotonic()
            if left < 15:
                report["results"].append({**row, "status": "skipped",
                                          "reason": f"time budget ({args.budget_s:.0f} s) spent"})
                continue
            deadline = time.monotonic() + min(run["share_s"], left - 5)
            report["results"].append(run_one(run, ref, deadline, args.device))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report["wall_s"] = round(time.monotonic() - t0, 2)
    counts: dict[str, int] = {}
    for r in report["results"]:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    report["summary"] = counts
    report["path_checks"] = path_checks(report["results"]) if args.device == "cuda" else []  # cpu: no CUDA path
    text = json.dumps(report, indent=2, default=str)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    if args.json:
        print(text)
    else:
        for r in report["results"]:
            why = r.get("reason") or r.get("error") or ""
            print(f"{r['lab']:16} {str(r['model']):22} {str(r.get('variant') or ''):10} {r['status']:12} {why[:90]}")
        for c in report["path_checks"]:
            print(f"path {c['path']:70} {c['status']:8} {str(c.get('reason') or c.get('shown') or '')[:60]}")
        print(f"report: {out} ({report['wall_s']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
