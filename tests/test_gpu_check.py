"""The prepared GPU check (bench/gpu_check.py) on this CPU-only machine, and the fresh-process guard the
labs it drives rely on: a child that hangs on its way out is killed and its result still counts."""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch

from gpu_runner.errors import ChildFailed, LabCancelled
from gpu_runner.process.fresh import LogTail, run_in_fresh_process


def hang_on_exit(spec: dict[str, Any], report: Any) -> dict[str, Any]:
    """Child side: answer, then block forever in an atexit handler (like a library whose shutdown hangs)."""
    atexit.register(time.sleep, 3600)
    return {"pid": os.getpid(), "answer": spec["x"] * 2}


def exit_without_result(spec: dict[str, Any], report: Any) -> None:
    atexit.register(time.sleep, 3600)
    os.close(int(os.environ["GPU_RUNNER_MSG_FD"]))  # the pipe closes with no result, then the exit hangs
    raise SystemExit(0)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_child_hanging_in_atexit_is_killed_and_its_result_kept():
    log = LogTail()
    started = time.monotonic()
    out = run_in_fresh_process("tests.test_gpu_check:hang_on_exit", {"x": 21}, log=log, timeout_s=120,
                               exit_grace_s=2.0)
    elapsed = time.monotonic() - started
    assert out["answer"] == 42
    assert _gone(out["pid"])
    assert "did not exit within 2 s of its result: killed" in log.text()
    assert elapsed < 60  # the child would sleep an hour; with imports it finishes in seconds


def test_child_that_exits_without_a_result_and_hangs_is_killed():
    log = LogTail()
    with pytest.raises(ChildFailed, match="before reporting a result"):
        run_in_fresh_process("tests.test_gpu_check:exit_without_result", {}, log=log, timeout_s=120,
                             exit_grace_s=2.0)
    assert "killed" in log.text()


def silent_forever(spec: dict[str, Any], report: Any) -> None:
    """Child side: report nothing and never finish (a cold compile or a hung load looks like this)."""
    time.sleep(3600)


def test_a_silent_child_is_cancelled_at_the_deadline_not_at_its_own_time_limit():
    started = time.monotonic()
    with pytest.raises(LabCancelled):
        run_in_fresh_process("tests.test_gpu_check:silent_forever", {}, timeout_s=600,
                             cancel_at=time.monotonic() + 3)
    assert time.monotonic() - started < 30


def test_a_cancelled_share_keeps_the_configurations_already_measured():
    """A real lab, real children: fp32 is measured, the share runs out while int8-wo starts, int4 is skipped."""
    import labcontract
    from gpu_runner.labs import LabContext, quant_inference

    params = labcontract.lab_params_with_defaults("quant-inference", {
        "model": "fixture", "precisions": ["fp32", "int8-wo", "int4"], "prompt_len": 8, "gen_len": 4, "repeats": 1,
        "warmup": 0, "quality_tokens": 16})
    ctx = LabContext(device="cpu", capabilities={}, progress=lambda p, stage: stage.startswith("int8-wo"),
                     keep_measured=True, cancel_reason="ran past its 40 s share of the budget")
    result = quant_inference.run(params, ctx)
    fp32, int8wo, int4 = result["precisions"]
    assert fp32["status"] == "ok" and fp32["decode_tokens_per_s"] > 0 and fp32["quality"]["perplexity"] > 1
    assert int8wo == {"precision": "int8-wo", "status": "cancelled",
                      "reason": "ran past its 40 s share of the budget (int8-wo (2/3))"}
    assert int4["status"] == "skipped" and int4["reason"].startswith("not run: int8-wo was cancelled before it")
    rows = _gpu_check().configs_of(result)
    assert [(r["config"], r["status"]) for r in rows] == [("fp32", "ok"), ("int8-wo", "cancelled"),
                                                          ("int4", "skipped")]
    # The worker keeps the old contract: a cancelled job raises, nothing is posted.
    worker_ctx = LabContext(device="cpu", capabilities={}, progress=lambda p, stage: stage.startswith("fp32"))
    with pytest.raises(LabCancelled, match="cancelled"):
        quant_inference.run(params, worker_ctx)


# ---- bench/gpu_check.py on this CPU-only machine ------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
LABS = {"quant-inference", "vllm-batch", "cpp-tokenizer", "serving-bench", "finetune", "long-context", "kernels"}


def _gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "bench" / "gpu_check.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: the check runs for real")
def test_gpu_check_reports_every_lab_unsupported_without_cuda(tmp_path):
    out = tmp_path / "report.json"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "bench/gpu_check.py", "--json", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert json.loads(out.read_text()) == report
    assert report["cuda"] is False and elapsed < 120
    assert report["cuda_device_order"] == "PCI_BUS_ID"  # CUDA numbers GPUs as NVML does, in every child too
    results = report["results"]
    assert {r["lab"] for r in results} == LABS
    assert {r["model"] for r in results if r["lab"] not in ("cpp-tokenizer", "kernels")} == {"fixture",
                                                                                            "random-qwen2.5-1.5b"}
    assert {r["variant"] for r in results if r["lab"] == "finetune"} == {"lora", "qlora-nf4"}
    assert [(r["model"], r["variant"]) for r in results if r["lab"] == "quant-inference"] == [
        ("fixture", "eager"), ("random-qwen2.5-1.5b", "eager"), ("random-qwen2.5-1.5b", "compiled")]
    assert done.stderr.strip().splitlines()[-1].startswith("VERDICT OK: CPU rehearsal")  # --json: verdict on stderr
    for r in results:
        assert r["status"] == "unsupported", r
        if r["lab"] == "cpp-tokenizer":
            assert r["reason"].startswith("no CUDA path")
        else:
            assert r["reason"].startswith("no CUDA device"), r
            assert r["prepared"] == "ok", r  # the lab imports and the planned params fit its schema
    assert report["summary"] == {"unsupported": len(results)}


def test_gpu_check_plan_fits_seven_minutes_so_a_rerun_fits_the_fifteen():
    gc = _gpu_check()
    assert gc.BUDGET_S <= 420
    runs = gc.plan(["fixture", gc.RANDOM_MODEL])
    assert sum(r["share_s"] for r in runs) + gc.BUILD_CAP_S <= gc.BUDGET_S
    assert sum(r["share_s"] for r in gc.plan(["fixture"], "cpu")) <= gc.BUDGET_S
    quant = next(r for r in runs if r["lab"] == "quant-inference" and r["model"] == "fixture")
    assert set(quant["params"]["precisions"]) == {"fp32", "bf16", "fp16", "int8", "int8-wo", "int4", "nf4", "gptq",
                                                  "awq"}
    assert not quant["params"].get("compile")
    # Compilation is a row of its own, the same for bf16 and int8-wo, after every other run.
    compiled = runs[-2]
    assert (compiled["lab"], compiled["variant"], compiled["model"]) == ("quant-inference", "compiled", gc.RANDOM_MODEL)
    assert compiled["params"]["compile"] is True and compiled["params"]["precisions"] == ["bf16", "int8-wo"]
    assert gc.QWEN25_15B_CONFIG["hidden_size"] == 1536 and gc.QWEN25_15B_CONFIG["num_hidden_layers"] == 28
    done = subprocess.run([sys.executable, "bench/gpu_check.py", "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert "--find-links var/gpu_check_wheels" in done.stdout and "420 s (7 minutes)" in done.stdout
    assert "Read first: the last line (VERDICT" in done.stdout


def test_gpu_check_refuses_unknown_models_and_labs(tmp_path):
    for args in (["--models", "llama-70b"], ["--labs", "quant-inferense"]):
        done = subprocess.run([sys.executable, "bench/gpu_check.py", *args, "--out", str(tmp_path / "r.json")],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and "unknown" in done.stderr and args[1] in done.stderr


def test_configs_of_maps_a_lab_result_to_per_configuration_outcomes():
    gc = _gpu_check()
    result = {"precisions": [
        {"precision": "bf16", "status": "ok", "decode_tokens_per_s": 120.0, "mbu": 0.41},
        {"precision": "nf4", "status": "unsupported", "reason": "bitsandbytes is not installed"},
        {"precision": "int4", "status": "error", "error": "Traceback ... RuntimeError: boom"},
    ], "model": "fixture"}
    rows = gc.configs_of(result)
    assert [(r["config"], r["status"]) for r in rows] == [("bf16", "ok"), ("nf4", "unsupported"), ("int4", "failed")]
    assert rows[0]["mbu"] == 0.41 and rows[1]["reason"].startswith("bitsandbytes") and "boom" in rows[2]["error"]


def _quant_entry(precision: str, **over: Any) -> dict[str, Any]:
    stats = {"n": 2, "median": 0.1}
    return {"precision": precision, "status": "ok", "backend": "PyTorch bf16 on cuda", "weight_bytes": 3_000_000_000,
            "memory": {"cuda_max_allocated_bytes": 3_400_000_000, "cuda_load_max_allocated_bytes": 3_100_000_000},
            "prefill_latency_s": stats, "generate_latency_s": stats, "decode_tokens_per_s": 100.0, "mbu": 0.6,
            "compiled": False, "compile": {"requested": False, "compiled": False}, "quantized_weight_share": 0.0,
            "telemetry": {"status": "ok"}, **over}


def _quant_rows(model: str, eager: list[dict], compiled: list[dict]) -> list[dict[str, Any]]:
    return [{"lab": "quant-inference", "model": model, "variant": "eager", "status": "ok",
             "result": {"precisions": eager}},
            {"lab": "quant-inference", "model": model, "variant": "compiled", "status": "ok",
             "result": {"precisions": compiled}}]


BIG = "random-qwen2.5-1.5b"
EVIDENCE = {"requested": True, "compiled_call": True, "graphs": 3, "graphs_in_timed_runs": 0, "compiled": True}


def test_path_checks_say_which_cuda_path_showed_what_it_must():
    gc = _gpu_check()
    good = [_quant_entry("bf16"),
            _quant_entry("int4", backend="torchao 0.18.0 int4 weight-only, group 128 (tile_packed_to_4d, tinygemm)",
                         weight_bytes=900_000_000, quantized_weight_share=0.82,
                         memory={"cuda_max_allocated_bytes": 1_200_000_000,
                                 "cuda_load_max_allocated_bytes": 1_100_000_000})]
    compiled = [_quant_entry("bf16", compile=EVIDENCE), _quant_entry("int8-wo", compile=EVIDENCE,
                                                                     decode_tokens_per_s=150.0)]
    vllm = {"engine": "vllm", "status": "ok", "vllm_settings": {"gpu_memory_utilization": 0.82,
                                                               "enable_prefix_caching": False}}
    results = [*_quant_rows(BIG, good, compiled),
               {"lab": "vllm-batch", "model": BIG, "status": "ok", "result": {"engines": [vllm]}}]
    checks = {c["path"].split(" (")[0].split(", quantized")[0]: c for c in gc.path_checks(results)}
    assert {k: c["status"] for k, c in checks.items()} == {
        f"{BIG}: int4 packed for tinygemm": "pass", f"{BIG}: int8 weight-only decode compiled": "pass",
        f"{BIG}: prefill timed in the same call, MBU from telemetry at most 1": "pass",
        f"{BIG}: int4 peak memory below the bf16 weights": "pass",
        "vllm-batch: memory share from free memory, prefix caching off": "pass"}
    assert checks[f"{BIG}: int8 weight-only decode compiled"]["shown"][
        "decode tokens/s int8-wo / bf16, both compiled"] == 1.5
    assert "82% of Linear weights quantized" in checks[f"{BIG}: int4 packed for tinygemm"]["shown"]
    # On the fixture the memory check is not applied (tinygemm's padding), and says why.
    fixture = {c["path"]: c for c in gc.path_checks(_quant_rows("fixture", good, compiled))}
    memory = next(c for p, c in fixture.items() if "peak memory" in p)
    assert memory["status"] == "not run" and "pads this model's in-features" in memory["reason"]


def test_path_checks_fail_on_what_the_run_showed_and_on_errors_never_calling_them_not_run():
    gc = _gpu_check()
    oom = "OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"
    # An int4 that ran out of memory; int8-wo asked to compile but the run shows no compiled graph; an MBU above 1;
    # vLLM with its prefix cache on.
    eager = [_quant_entry("bf16", mbu=7e6), {"precision": "int4", "status": "error", "error": oom}]
    compiled = [_quant_entry("bf16", compile=EVIDENCE),
                _quant_entry("int8-wo", compile={**EVIDENCE, "compiled_call": False, "graphs": 0,
                                                 "compiled": False})]
    vllm_bad = {"engine": "vllm", "status": "ok", "vllm_settings": {"gpu_memory_utilization": 0.85,
                                                                   "enable_prefix_caching": True}}
    results = [*_quant_rows(BIG, eager, compiled),
               {"lab": "vllm-batch", "model": BIG, "status": "ok", "result": {"engines": [vllm_bad]}}]
    checks = gc.path_checks(results)
    assert [c["status"] for c in checks] == ["fail"] * 5
    int4 = next(c for c in checks if "tinygemm" in c["path"])
    assert int4["error"] == oom and "shown" not in int4
    # What could not run is "not run" with its reason: not installed, cancelled by the budget, a failed lab is a fail.
    cut = [{"precision": "bf16", "status": "cancelled", "reason": "ran past its 60 s share"},
           {"precision": "int4", "status": "skipped", "reason": "not run: bf16 was cancelled"}]
    results = [{"lab": "quant-inference", "model": BIG, "variant": "eager", "status": "ok",
                "result": {"precisions": cut}},
               {"lab": "quant-inference", "model": BIG, "variant": "compiled", "status": "failed",
                "traceback": "Traceback ... RuntimeError: boom"},
               {"lab": "vllm-batch", "model": BIG, "status": "ok", "result": {"engines": [
                   {"engine": "vllm", "status": "unsupported", "reason": "vLLM is not installed on this runner"}]}}]
    checks = {c["path"].split(":")[1].split(" (")[0].strip(): c for c in gc.path_checks(results)}
    assert checks["int4 packed for tinygemm"] == {"path": f"{BIG}: int4 packed for tinygemm", "status": "not run",
                                                   "reason": "skipped: not run: bf16 was cancelled"}
    assert checks["int8 weight-only decode compiled"]["status"] == "fail"
    assert "RuntimeError: boom" in checks["int8 weight-only decode compiled"]["error"]
    assert checks["memory share from free memory, prefix caching off"]["reason"].startswith("unsupported: vLLM is not")
    report = {"results": results, "path_checks": gc.path_checks(results), "cuda_run": True, "models": {},
              "wall_s": 12.0, "budget_s": 420.0}
    code, line = gc.verdict(report)
    assert code == 1 and line.startswith("VERDICT FAIL: paths 0 passed, 1 failed, 4 not run; runs 2 ok, 1 failed")


def _pins(path: Path) -> dict[str, str]:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            req = Requirement(line)
            pins[canonicalize_name(req.name)] = str(req.specifier).removeprefix("==")
    return pins


def test_wheels_carried_to_the_gpu_machine_use_the_runner_pins():
    carried = _pins(ROOT / "bench" / "gpu_check_requirements.txt")
    runner = _pins(ROOT / "gpu_runner" / "requirements.txt")
    assert carried and all(runner[name] == version for name, version in carried.items())
    assert not {"torch", "transformers", "peft", "vllm", "bitsandbytes"} & set(carried)


# ---- the CUDA requirement sets -----------------------------------------------------------------------

CUDA_SETS = ("requirements-cuda.txt", "requirements-cuda-quant.txt", "requirements-cuda-vllm.txt")
DECLARED = json.loads((ROOT / "tests" / "data" / "cuda_requirements.json").read_text())


def _requirements(path: Path) -> dict[str, Any]:
    """name -> packaging Requirement for every pin of a requirements file, following -r."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    out: dict[str, Any] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r"):
            out.update(_requirements(path.parent / line.split(None, 1)[1]))
            continue
        req = Requirement(line)
        spec = list(req.specifier)
        assert len(spec) == 1 and spec[0].operator == "==", f"{path.name}:{number}: {line!r} is not an exact pin"
        out[canonicalize_name(req.name)] = req
    return out


def _violations(pins: dict[str, Any]) -> list[str]:
    """Every declared requirement of a pinned distribution on another pinned one that the pin does not meet."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    env = DECLARED["environment"]
    found = []
    for name, req in pins.items():
        version = next(iter(req.specifier)).version
        declared = DECLARED["distributions"].get(f"{name}=={version}")
        assert declared is not None, f"tests/data/cuda_requirements.json lacks {name}=={version}: re-run the dry run"
        for line in declared["requires_dist"]:
            dep = Requirement(line)
            other = pins.get(canonicalize_name(dep.name))
            if other is None:
                continue
            extras = req.extras or {""}
            if dep.marker and not any(dep.marker.evaluate({**env, "extra": e}) for e in extras):
                continue
            if not dep.specifier.contains(next(iter(other.specifier)).version, prereleases=True):
                found.append(f"{name}=={version} requires {line!r}, pinned {other}")
    return found


@pytest.mark.parametrize("name", CUDA_SETS)
def test_each_cuda_set_meets_every_declared_requirement_of_its_pins(name):
    pins = _requirements(ROOT / "gpu_runner" / name)
    assert _violations(pins) == []
    resolved = DECLARED["environments"][name]["resolved"]
    assert {n: str(next(iter(r.specifier)).version) for n, r in pins.items()} == resolved  # what pip chose


def test_one_combined_cuda_set_cannot_resolve_which_is_why_there_are_three():
    base = _requirements(ROOT / "gpu_runner" / "requirements.txt")
    vllm = _requirements(ROOT / "gpu_runner" / "requirements-cuda-vllm.txt")
    quant = _requirements(ROOT / "gpu_runner" / "requirements-cuda-quant.txt")
    with_vllm = {**base, "vllm": vllm["vllm"]}
    assert any("vllm==0.33.0 requires 'torch==2.14.0'" in v for v in _violations(with_vllm))
    assert any("'transformers<5.21.0,>=5.16.1'" in v for v in _violations(with_vllm))
    with_both = {**vllm, "gptqmodel": quant["gptqmodel"]}
    assert any("gptqmodel==7.7.0 requires 'torch>=2.14.1'" in v for v in _violations(with_both))
    assert "autoawq" not in quant  # deprecated; transformers 5.x loads AWQ through gptqmodel


@pytest.mark.parametrize("name, allowed", [
    ("requirements-cuda-quant.txt", {"torch", "bitsandbytes", "optimum", "gptqmodel"}),
    ("requirements-cuda-vllm.txt", {"vllm", "torch", "transformers", "fastapi", "numpy"}),
])
def test_the_separate_sets_differ_from_the_runner_pins_only_where_they_must(name, allowed):
    base = _requirements(ROOT / "gpu_runner" / "requirements.txt")
    other = _requirements(ROOT / "gpu_runner" / name)
    differing = {n for n in set(base) | set(other) if str(base.get(n, "")) != str(other.get(n, ""))}
    assert differing <= allowed, differing


def test_random_model_directory_loads_like_a_hub_model(tmp_path):
    """The GPU check's random-weight model, built here on the CPU with a shrunken shape (the real one is built
    on the GPU): it saves, carries a tokenizer a server can load, and the runner's loaders accept it."""
    from transformers import AutoModelForCausalLM

    from gpu_runner.checkpoints.loading import describe_model, load_tokenizer, model_path

    gc = _gpu_check()
    tiny = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2}
    spec = {"target": str(tmp_path / gc.RANDOM_MODEL), "device": "cpu", "config_overrides": tiny}
    built = gc.build_random_model(spec, lambda *a: None)
    ref = built["dir"]
    assert model_path(ref) == tmp_path / gc.RANDOM_MODEL and (tmp_path / gc.RANDOM_MODEL / "tokenizer.json").is_file()
    assert describe_model(ref)["name"] == gc.RANDOM_MODEL  # the directory name: the report says which model
    tok = load_tokenizer(ref)
    ids = tok.encode("The capital of France is Paris.")
    assert ids and max(ids) < gc.QWEN25_15B_CONFIG["vocab_size"]
    model = AutoModelForCausalLM.from_pretrained(ref)
    assert model.config.vocab_size == 151936 and model.config.tie_word_embeddings is True
    assert built["parameters"] == sum(p.numel() for p in model.parameters())
    assert model.generation_config.eos_token_id == tok.eos_token_id


def _run_check(tmp_path, *args: str, timeout: int = 240) -> dict[str, Any]:
    out = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "bench/gpu_check.py", "--out", str(out), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.mark.slow
def test_gpu_check_drives_a_lab_end_to_end_when_pointed_at_the_cpu(tmp_path):
    """--device cpu runs the same orchestration (params, LabContext, lab.run, per-config rows, telemetry) on the
    fixture: the check of the script itself that can run here. No CUDA path runs."""
    report = _run_check(tmp_path, "--device", "cpu", "--models", "fixture", "--labs", "finetune",
                        "--share-s", "200", "--budget-s", "400")
    rows = {r["variant"]: r for r in report["results"]}
    lora = rows["lora"]
    assert lora["status"] == "ok", lora.get("error") or lora.get("traceback")
    assert lora["result"]["device"] == "cpu" and lora["result"]["method"] == "lora"
    assert lora["telemetry"]["status"] == "unavailable" and "NVML" in lora["telemetry"]["reason"]
    assert rows["qlora-nf4"]["status"] in ("unsupported", "ok")  # bitsandbytes' CPU 4-bit path is a probe
    if rows["qlora-nf4"]["status"] == "unsupported":
        assert "bitsandbytes" in rows["qlora-nf4"]["reason"]


def test_gpu_check_cancels_a_run_past_its_share_and_keeps_the_report_it_had(tmp_path):
    started = time.monotonic()
    report = _run_check(tmp_path, "--device", "cpu", "--models", "fixture", "--labs", "long-context",
                        "--share-s", "3")
    (row,) = report["results"]
    assert row["status"] == "cancelled" and "ran past its 3 s share of the budget" in row["reason"]
    first, *rest = row["configs"]  # the setting in flight is cancelled, every later one is skipped, saying why
    assert first["status"] == "cancelled" and rest and all(c["status"] == "skipped" for c in rest)
    assert all(f"{first['config']} was cancelled" in c["reason"] for c in rest)
    assert report["exit_code"] == 0 and report["verdict"].startswith("VERDICT OK: CPU rehearsal")
    assert "runs 0 ok, 0 failed, 1 cancelled" in report["verdict"]
    assert time.monotonic() - started < 90


def test_gpu_check_on_the_cpu_refuses_the_big_model(tmp_path):
    done = subprocess.run([sys.executable, "bench/gpu_check.py", "--device", "cpu", "--out", str(tmp_path / "r")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--models fixture" in done.stderr
