"""GPU check: one prepared command that runs every CUDA path of every lab on a machine with an NVIDIA GPU
and writes one JSON report (per lab, model and configuration: ok | unsupported with reason | failed with
traceback | cancelled or skipped when its share of the budget ran out; the lab's figures; NVML telemetry).

Why: nothing in the labs' CUDA paths can run on the development or CI machines, and a GPU machine may be
lent once, for 15 minutes, offline, with another Python. So the check is prepared and rehearsed here and
carried there: it calls each lab's ``run(params, LabContext(...))`` directly (no site, no Celery), on two models:
- the fixture (tiny, random, built on the runner from a fixed seed: every path quickly);
- a model with Qwen2.5-1.5B-Instruct's shape (its public config.json on the Hugging Face Hub), weights random,
  built on the GPU in a fresh process and saved once, so that memory, speed and MBU are real figures even
  though quality figures are not (the fixture's tokenizer is used: no download).
quant-inference runs twice per model: eager, every precision; and compiled (params.compile: the decode step
torch.compile'd with CUDA graphs), bf16 and int8-wo alike, so a speed-up is never compilation credited to a
precision. After the runs, ``path_checks`` says per CUDA path what the run showed: pass | fail (an error, with
its text, is a fail) | not run (with the reason: not installed here, cancelled by the budget, not applicable to
that model). Each run has a share of the budget: past it the configuration in flight is cancelled, those
already measured are kept and the rest are marked skipped, with the reason. The report is rewritten after every
run, so a command killed at its limit still returns what it had; the last line printed is the verdict and the
exit code says it too (0: nothing failed; 1: a run or a path check failed).
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

from bench.gpu_check_paths import RANDOM_MODEL, path_checks, verdict  # noqa: E402

BUDGET_S = 420.0  # 7 of the GPU machine's 15 minutes (one to two go to starting it): a rerun after a fix fits
BUILD_CAP_S = 40.0  # building the random 1.5B model on the GPU and saving its 3 GB (imports included)
PLAN_15_MIN = """\
The 15 minutes of a lent GPU machine (about 1-2 go to starting it), as one command:
  here, once, PyPI reachable:  bash bench/gpu_check_wheels.sh      (-> var/gpu_check_wheels, ~16 MiB)
  there, from the repository root, carrying var/gpu_check_wheels, timeout_s 540:
    python -m pip install --no-index --find-links var/gpu_check_wheels -r bench/gpu_check_requirements.txt \\
      && python bench/gpu_check.py --out "$OUT/gpu_check.json"
  The run budget is 420 s (7 minutes) so that a rerun after a fix still fits in the 15. The report is rewritten
  after every run: a command killed at its limit still returns what it had.
Read first: the last line (VERDICT: paths passed / failed / not run, runs ok / failed / cancelled) and the exit
code (0 nothing failed, 1 a run or a path check failed); then "path_checks" (what each CUDA path showed, or why
it did not run); then the failed runs' "traceback" or their configs' "error"; "timings" says where the time went.
Rehearse it on the CPU first, in a throwaway venv with the GPU machine's transformers 5.17 (gpu_runner/README.md):
  python bench/gpu_check.py --device cpu --models fixture
"""
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


# Shares (s) per run: (fixture on CUDA, random 1.5B on CUDA, fixture in the CPU rehearsal). Sized from the
# rehearsal's measured times: on the 2-core development machine under load (transformers 5.17) every fresh process
# paid 5-10 s of imports and model build, quant-inference's 6 CPU precisions took 113 s, vllm-batch's 3 engines
# 72 s, LoRA 50 s, long-context's 4 settings 85 s; with the CPU parameters below and one torch thread: 51, 45, 61
# (serving-bench), 15 and 32 s, 205 s in all. A GPU machine's
# 16 cores import in about half that; on the GPU each process also pays ~2 s of CUDA start-up, loading 3 GB, and
# for the compiled row a cold torch.compile (tens of seconds per precision). A share is a cap, not a reservation:
# a run that ends early leaves its time to the next. The sums fit the budget (tests/test_gpu_check.py).
SHARES = {
    "quant-inference": (35, 60, 100), "quant-inference/compiled": (0, 60, 5), "vllm-batch": (25, 30, 70),
    "serving-bench": (35, 40, 80), "finetune": (15, 25, 45), "finetune/qlora-nf4": (5, 5, 5),
    "long-context": (15, 15, 50),
}
# The rehearsal runs the same code paths with less work, one torch thread per process (DEPLOYDOJO_TORCH_THREADS),
# so that it fits its budget on 2 shared cores.
CPU_SMALLER: dict[str, dict[str, Any]] = {
    "quant-inference": {"prompt_len": 16, "gen_len": 6, "quality_tokens": 16, "repeats": 1},
    "vllm-batch": {"num_prompts": 4, "output_len": 4, "output_len_max": 12},
    "serving-bench": {"concurrency": [1, 2], "duration_s": 1, "max_requests_per_level": 2, "output_tokens": 8},
    "finetune": {"steps": 2, "batch_size": 1, "eval_examples": 2, "eval_max_new_tokens": 8},
    "long-context": {"lengths": [128, 256]},
}


def plan(models: list[str], device: str = "cuda") -> list[dict[str, Any]]:
    """(lab, model, variant, params overrides, time share in s). Fixture runs first: every path, quickly; the
    compiled row (the most expensive, nothing else depends on it) runs last, on the last model only."""
    runs: list[dict[str, Any]] = []
    for model in models:
        big = model != "fixture"
        column = 2 if device == "cpu" else int(big)
        quant = {"prompt_len": 64 if big else 32, "gen_len": 32 if big else 16, "repeats": 2, "warmup": 1,
                 "quality_tokens": 64}
        model_runs = [
            {"lab": "quant-inference", "variant": "eager", "params": {
                **quant, "precisions": ["bf16", "fp16", "int8", "int8-wo", "int4", "nf4"] if big else ALL_PRECISIONS}},
            {"lab": "vllm-batch", "params": {
                "engines": ["hf-sequential", "hf-static-batch", "hf-continuous-batching", "vllm"],
                "num_prompts": 8, "output_len": 8, "output_len_max": 24, "repeats": 1}},
            {"lab": "serving-bench", "params": {
                "engines": ["transformers", "transformers-cb", "vllm"], "concurrency": [1, 4], "request_rates": [],
                "duration_s": 3 if big else 2, "max_requests_per_level": 8, "prompt_tokens": 32,
                "output_tokens": 16, "server_timeout_s": 120, "request_timeout_s": 60}},
            {"lab": "finetune", "variant": "lora", "params": {
                "method": "lora", "steps": 4, "seq_len": 256, "batch_size": 2, "eval_examples": 4,
                "eval_max_new_tokens": 16}},
            {"lab": "finetune", "variant": "qlora-nf4", "share": "finetune/qlora-nf4", "params": {
                "method": "qlora-nf4", "steps": 4, "seq_len": 256, "batch_size": 2, "eval_examples": 4,
                "eval_max_new_tokens": 16}},
            {"lab": "long-context", "params": {
                "lengths": [512, 2048] if big else [128, 256, 512], "trained_length": 512 if big else 256,
                "passkey_trials": 1, "passkey_depths": [0.5]}},
        ]
        if model == models[-1]:  # compilation as a row of its own: bf16 and int8-wo alike
            model_runs.append({"lab": "quant-inference", "variant": "compiled", "share": "quant-inference/compiled",
                               "params": {**quant, "precisions": ["bf16", "int8-wo"], "compile": True}})
        for r in model_runs:
            r["model"] = model
            r["share_s"] = SHARES[r.pop("share", r["lab"])][column]
            if device == "cpu":
                r["params"].update(CPU_SMALLER.get(r["lab"], {}))
        runs += model_runs
    # The kernel lab's CUDA path (nvcc in the sandbox with the GPU's device nodes, cuBLAS through torch): no model.
    gemm_cu = (ROOT / "content/labs/kernels/gemm/steps/4-register-blocked.cu").read_text()
    runs.append({"lab": "kernels", "model": None, "no_model": True, "share_s": 15, "params": {
        "problem": "gemm", "target": "cuda", "source": gemm_cu, "sizes": [[512, 512, 512], [1023, 1025, 1027]],
        "repeats": 3}})
    runs.sort(key=lambda r: r.get("variant") == "compiled")  # stable: the compiled row after every other run
    runs.append({"lab": "cpp-tokenizer", "model": None, "share_s": 0, "params": {},
                 "no_cuda_path": "the C++ tokenizer lab compiles and runs the learner's code on the CPU only"})
    return runs


def params_for(lab: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The lab's params with defaults filled from its labcontract schema (wherever the schema lives now)."""
    import labcontract

    if lab in getattr(labcontract, "LAB_PARAMS", {}):
        return labcontract.lab_params_with_defaults(lab, overrides)
    schema = None
    for mod_name in ("labcontract.labs.serving_bench", "labcontract.labs.finetune", "labcontract.labs.long_context"):
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


CONFIG_STATUSES = ("ok", "unsupported", "cancelled", "skipped")  # anything else a lab writes ("error") is "failed"


def configs_of(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-configuration outcome inside a lab's result: every list of dicts carrying a "status"."""
    out = []
    for key, value in result.items():
        if isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict) and "status" in entry:
                    name = next((str(entry[k]) for k in ("precision", "engine", "setting", "name", "method")
                                 if k in entry), key)
                    status = entry["status"] if entry["status"] in CONFIG_STATUSES else "failed"
                    row = {"config": name, "group": key, "status": status}
                    for k in ("reason", "error"):
                        if entry.get(k):
                            row["error" if status == "failed" else "reason"] = str(entry[k])[-3000:]
                    for k in ("decode_tokens_per_s", "mbu", "weight_bytes", "output_tokens_per_s", "memory",
                              "compiled", "quantized_weight_share"):
                        if k in entry:
                            row[k] = entry[k]
                    out.append(row)
    return out


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
    """One lab run with its share: past `deadline` the configuration in flight is cancelled (even a child that
    reports nothing), what was measured is kept and the rest is marked skipped (LabContext.keep_measured)."""
    from gpu_runner.errors import LabCancelled, Unsupported
    from gpu_runner.labs import LabContext
    from gpu_runner.measure.nvml import GpuSampler
    from gpu_runner.service.capabilities import probe

    row: dict[str, Any] = {"lab": run["lab"], "model": run["model"], "variant": run.get("variant"),
                           "share_s": run["share_s"]}
    started = time.monotonic()
    try:
        module = importlib.import_module(LAB_MODULES[run["lab"]])
        params = params_for(run["lab"], {**run["params"], **({} if run.get("no_model") else {"model": model_ref})})
    except Exception:  # noqa: BLE001 - a lab that does not import or whose params do not fit is reported
        return {**row, "status": "failed", "stage": "prepare", "traceback": traceback.format_exc()[-6000:]}
    stages: list[str] = []

    def progress(percent: int, stage: str) -> bool:
        if not stages or stages[-1] != stage:
            stages.append(stage)
        return time.monotonic() > deadline  # True cancels the configuration in flight

    # The child's own time limit lies past the deadline: at the deadline it is cancelled, not failed.
    ctx = LabContext(device=device, capabilities=probe(check_vllm=False), progress=progress,
                     child_timeout_s=max(10.0, deadline - time.monotonic()) + 60, keep_measured=True,
                     deadline=deadline, cancel_reason=f"ran past its {run['share_s']:.0f} s share of the budget")
    sampler = GpuSampler(interval_ms=200).start()
    try:
        result = module.run(params, ctx)
        row.update(status="ok", result=result, configs=configs_of(result))
        top = result.get("status")  # some labs report the whole run's outcome in the result itself
        if top in ("unsupported", "cancelled", "skipped"):
            row.update(status="unsupported" if top == "unsupported" else "cancelled",
                       reason=str(result.get("reason", "")))
        elif top not in (None, "ok"):
            row.update(status="failed", error=str(result.get("error", top))[-3000:])
        elif any(c["status"] == "failed" for c in row["configs"]):
            row["status"] = "failed"
        elif any(c["status"] in ("cancelled", "skipped") for c in row["configs"]):
            row.update(status="cancelled", reason=ctx.cancelled or ctx.cancel_reason)
        elif row["configs"] and all(c["status"] == "unsupported" for c in row["configs"]):
            row.update(status="unsupported", reason=row["configs"][0].get("reason", ""))
    except Unsupported as exc:
        row.update(status="unsupported", reason=str(exc))
    except LabCancelled as exc:  # before its first configuration: nothing measured to keep
        row.update(status="cancelled", reason=str(exc) or ctx.cancel_reason)
    except Exception:  # noqa: BLE001
        row.update(status="failed", traceback=traceback.format_exc()[-6000:])
    row["wall_s"] = round(time.monotonic() - started, 2)
    row["telemetry"] = sampler.stop()
    row["stages"] = stages[-20:]
    row["log_tail"] = ctx.log.text()[-3000:]
    return row


def write_report(report: dict[str, Any], out: Path, t0: float) -> tuple[int, str]:
    """Summary, path checks and verdict as of now, written atomically (a reader never sees half a file)."""
    report["wall_s"] = round(time.monotonic() - t0, 2)
    counts: dict[str, int] = {}
    for r in report["results"]:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    report["summary"] = counts
    report["timings"] = {" ".join(str(x) for x in (r["lab"], r["model"], r.get("variant")) if x): r["wall_s"]
                         for r in report["results"] if "wall_s" in r}
    checks = path_checks(report["results"])
    if report["cuda_run"]:
        report["path_checks"] = checks
    else:  # the checks' code ran on CPU results (a dry run); their statuses say nothing about CUDA
        report["path_checks"], report["path_checks_dry_run"] = [], checks
    code, line = verdict(report)
    report["exit_code"], report["verdict"] = code, line
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2, default=str))
    os.replace(tmp, out)
    return code, line


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=PLAN_15_MIN,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    ap.add_argument("--out", default=str(ROOT / "var" / "gpu_check.json"),
                    help="where to write the report (rewritten after every run)")
    ap.add_argument("--budget-s", type=float, default=BUDGET_S, help=f"total wall-time cap (default {BUDGET_S:.0f})")
    ap.add_argument("--models", default=f"fixture,{RANDOM_MODEL}", help="comma-separated: fixture, " + RANDOM_MODEL)
    ap.add_argument("--labs", default="", help="only these labs (comma-separated), default all")
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda",
                    help="cpu: run the plan on the CPU with the fixture (the rehearsal of this script, not of the GPU)")
    ap.add_argument("--share-s", type=float, default=None, help="give every run this share instead of the plan's")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    hard_deadline = t0 + args.budget_s
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from gpu_runner.measure.nvml import cuda_order_like_nvml

    cuda_order_like_nvml()  # before cuda_status() initialises CUDA; every child inherits it
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = [m for m in models if m not in ("fixture", RANDOM_MODEL)]
    if bad:
        ap.error(f"--models: unknown {', '.join(bad)}; choose from fixture, {RANDOM_MODEL}")
    if args.device == "cpu" and RANDOM_MODEL in models:
        ap.error("--device cpu runs the fixture only: add --models fixture")
    runs = plan(models, args.device)
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
        cuda, detail = True, "cpu (the rehearsal of gpu_check itself; no CUDA path runs)"
        os.environ.setdefault("DEPLOYDOJO_TORCH_THREADS", "1")  # more threads only spin against each other there
    report: dict[str, Any] = {"check": "deploydojo gpu_check", "budget_s": args.budget_s, "host": host_info(),
                              "run_device": args.device, "cuda_run": cuda and args.device == "cuda",
                              "cuda_device_order": os.environ.get("CUDA_DEVICE_ORDER"),
                              "cuda": cuda, "device": detail if cuda else None, "models": {}, "results": [],
                              "plan": [{k: r.get(k) for k in ("lab", "model", "variant", "share_s")} for r in runs]}
    out = Path(args.out)
    if report["cuda_run"]:
        from gpu_runner.measure.nvml import nvml_unavailable_reason

        report["nvml"] = nvml_unavailable_reason() or "ok"
        try:
            from gpu_runner.measure.bandwidth import device_bandwidth

            report["device_bandwidth"] = device_bandwidth()
        except Exception as exc:  # noqa: BLE001
            report["device_bandwidth"] = {"error": f"{type(exc).__name__}: {exc}"}
    write_report(report, out, t0)
    workdir = Path(tempfile.mkdtemp(prefix="dd-gpu-check-"))
    model_refs: dict[str, str | None] = {"fixture": "fixture"}
    try:
        if cuda and RANDOM_MODEL in models:
            model_refs[RANDOM_MODEL] = _build(report, workdir, hard_deadline)
            write_report(report, out, t0)
        for run in runs:
            report["results"].append(_run_or_why(run, cuda, detail, model_refs, hard_deadline, args))
            write_report(report, out, t0)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    code, line = write_report(report, out, t0)
    if args.json:
        print(out.read_text())
    else:
        for r in report["results"]:
            why = r.get("reason") or r.get("error") or ""
            print(f"{r['lab']:16} {str(r['model']):22} {str(r.get('variant') or ''):10} {r['status']:12} "
                  f"{r.get('wall_s', 0):6.1f} s  {why[:80]}")
        for c in report["path_checks"]:
            shown = c.get("reason") or c.get("error") or c.get("shown")
            print(f"path {c['path']:90} {c['status']:8} {str(shown)[:60]}")
        print(f"report: {out}")
    print(line, file=sys.stderr if args.json else sys.stdout)
    return code


def _build(report: dict[str, Any], workdir: Path, hard_deadline: float) -> str | None:
    """The random 1.5B model, built on the GPU in a fresh process; None (and the error in the report) if not."""
    from gpu_runner.process.fresh import run_in_fresh_process

    started = time.monotonic()
    try:
        built = run_in_fresh_process("bench.gpu_check:build_random_model", {"target": str(workdir / RANDOM_MODEL)},
                                     timeout_s=max(10.0, min(BUILD_CAP_S, hard_deadline - time.monotonic())))
    except Exception as exc:  # noqa: BLE001
        report["models"][RANDOM_MODEL] = {"error": f"{type(exc).__name__}: {exc}",
                                          "wall_s": round(time.monotonic() - started, 2)}
        return None
    report["models"][RANDOM_MODEL] = {**built, "config": QWEN25_15B_CONFIG, "note": "random weights: quality figures "
                                      "mean nothing", "wall_s": round(time.monotonic() - started, 2)}
    return built["dir"]


def _run_or_why(run: dict[str, Any], cuda: bool, detail: str, model_refs: dict[str, str | None],
                hard_deadline: float, args: argparse.Namespace) -> dict[str, Any]:
    row = {"lab": run["lab"], "model": run["model"], "variant": run.get("variant")}
    if "no_cuda_path" in run:
        return {**row, "status": "unsupported", "reason": f"no CUDA path: {run['no_cuda_path']}"}
    if not cuda:  # still check that the lab imports and its planned params fit its schema
        return {**row, "status": "unsupported", "reason": detail, "prepared": prepared(run)}
    ref = model_refs.get(run["model"])
    if ref is None and not run.get("no_model"):
        return {**row, "status": "skipped", "reason": f"model {run['model']} could not be built (see models)"}
    left = hard_deadline - time.monotonic()
    if left < 15:
        return {**row, "status": "skipped", "reason": f"time budget ({args.budget_s:.0f} s) spent"}
    return run_one(run, ref, time.monotonic() + min(run["share_s"], left - 5), args.device)


if __name__ == "__main__":
    raise SystemExit(main())
