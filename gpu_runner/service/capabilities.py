"""Probe what this runner host can do (CPU, RAM, CUDA devices, library versions, the regex libraries C++
submissions may link) and pick its queues."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil

import labcontract
from gpu_runner.labs.cpp_tokenizer import libraries as cpp_libraries
from gpu_runner.measure import bandwidth

_VERSIONED = (
    "torch",
    "transformers",
    "accelerate",
    "vllm",
    "bitsandbytes",
    "torchao",
    "gptqmodel",
    "optimum",
    "onnxruntime",
    "onnxruntime-gpu",
    "tiktoken",
    "celery",
)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def gxx_version() -> str | None:
    gxx = shutil.which("g++")
    if not gxx:
        return None
    out = subprocess.run([gxx, "-dumpfullversion"], check=False, capture_output=True, text=True, timeout=20)
    return out.stdout.strip() or None


def nvml_driver(nvml: Any = None) -> str | None:
    """The driver version through NVML (nvidia-ml-py): works where the container has no nvidia-smi."""
    try:
        if nvml is None:
            import pynvml as nvml
        nvml.nvmlInit()
    except Exception:  # noqa: BLE001 - no driver or no nvidia-ml-py
        return None
    try:
        version = nvml.nvmlSystemGetDriverVersion()
        return version.decode() if isinstance(version, bytes) else str(version)
    except Exception:  # noqa: BLE001
        return None
    finally:
        nvml.nvmlShutdown()


def nvidia_driver() -> str | None:
    smi = shutil.which("nvidia-smi")
    if not smi:
        return nvml_driver()
    try:
        out = subprocess.run(
            [smi, "--query-gpu=driver_version", "--format=csv,noheader"],
            check=False,
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return nvml_driver()
    if out.returncode == 0 and out.stdout.strip():
        return out.stdout.strip().splitlines()[0]
    return nvml_driver()


def cuda_devices() -> list[dict[str, Any]]:
    """CUDA devices as labcontract.CAPABILITIES describes them; [] without torch or a GPU."""
    if importlib.util.find_spec("torch") is None:
        return []
    import torch

    if not torch.cuda.is_available():
        return []
    driver = nvidia_driver() or ""
    devices = []
    for i in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(i)
        devices.append(
            {
                "name": props.name,
                "memory_bytes": int(props.total_memory),
                "compute_capability": f"{props.major}.{props.minor}",
                "driver": driver,
            }
        )
    return devices


def vllm_importable(timeout_s: float = 180.0) -> bool:
    """Import vllm in a throwaway interpreter: the import is heavy and may touch CUDA state."""
    if package_version("vllm") is None:
        return False
    try:
        done = subprocess.run(
            [sys.executable, "-c", "import vllm"], check=False, capture_output=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def choose_queues(devices: list[dict[str, Any]], vllm_ok: bool) -> list[str]:
    """lab.cpu always; lab.cuda with a CUDA GPU; lab.vllm when vLLM also imports."""
    queues = ["lab.cpu"]
    if devices:
        queues.append("lab.cuda")
        if vllm_ok:
            queues.append("lab.vllm")
    return queues


def host_figures() -> dict[str, float]:
    """The CPU's measured memory bandwidth and fp32 matmul rate: a CPU job's page reads its decode and prefill
    against them (the site's planner bounds), as a CUDA job's reads against the GPU's bandwidth."""
    figures = {"memory_bandwidth_gb_s": round(bandwidth.measure_host_bandwidth(), 2)}
    if importlib.util.find_spec("torch") is not None:
        figures["matmul_gflops"] = round(bandwidth.measure_host_matmul_gflops(), 1)
    return figures


MODELS_MAX = 200  # local model directories reported (the capabilities schema's limit)


def runner_models(models_dir: str | os.PathLike | None = None) -> list[str]:
    """The models a lab's `model` field may name on this runner: the built-in refs, then the absolute path of every
    Hugging Face model directory (one with config.json) directly under models_dir or one level deeper
    (models/Qwen/Qwen2.5-0.5B), sorted. models_dir: --models-dir / DEPLOYDOJO_MODELS_DIR; none -> built-ins only."""
    from gpu_runner.checkpoints import fixture, smollm

    found: list[str] = []
    root = Path(models_dir).expanduser().resolve() if models_dir else None
    if root is not None and root.is_dir():
        for config in sorted([*root.glob("*/config.json"), *root.glob("*/*/config.json")]):
            found.append(str(config.parent))
    return [smollm.SMOLLM_NAME, fixture.FIXTURE_NAME, *found[:MODELS_MAX]]


def probe(*, check_vllm: bool = True, models_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Describe this host; the result fits labcontract.CAPABILITIES."""
    devices = cuda_devices()
    versions: dict[str, str | None] = {name: package_version(name) for name in _VERSIONED}
    versions["python"] = platform.python_version()
    versions["g++"] = gxx_version()
    if devices:
        import torch

        versions["cuda"] = torch.version.cuda
    vllm_ok = bool(devices) and check_vllm and vllm_importable()
    caps = {
        "cpu": {
            "model": cpu_model(),
            "cores": os.cpu_count() or 1,
            "physical_cores": psutil.cpu_count(logical=False) or os.cpu_count() or 1,
            **host_figures(),
        },
        "ram_bytes": int(psutil.virtual_memory().total),
        "cuda_devices": devices,
        "versions": versions,
        "queues": choose_queues(devices, vllm_ok),
        "cpp_regex": list(cpp_libraries.on_this_runner()),
        "os": f"{platform.system()} {platform.release()}",
        "models": runner_models(models_dir),
    }
    labcontract.validate("heartbeat", {"capabilities": caps})
    return caps
