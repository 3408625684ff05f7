"""Load a lab's model and tokenizer — SmolLM2-135M (the default), the fixture, or a local Hugging Face
directory — at one precision, with a real back-end for each precision or an Unsupported error saying why
there is none."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any, Protocol

from gpu_runner.checkpoints import fixture, gemma, smollm
from gpu_runner.errors import Unsupported

# Highest first: the quality reference is the highest float precision a job measures.
FLOAT_PRECISIONS = ("fp32", "bf16", "fp16")


class TextTokenizer(Protocol):
    eos_token_id: int
    pad_token_id: int

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: list[int]) -> str: ...


class HFTokenizer:
    """Adapter over a transformers tokenizer found in a model directory."""

    def __init__(self, path: Path):
        from transformers import AutoTokenizer

        self.tok = AutoTokenizer.from_pretrained(str(path))
        self.eos_token_id = self.tok.eos_token_id if self.tok.eos_token_id is not None else 0
        self.pad_token_id = self.tok.pad_token_id if self.tok.pad_token_id is not None else self.eos_token_id

    def encode(self, text: str) -> list[int]:
        return list(self.tok.encode(text, add_special_tokens=False))

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(ids)


MODEL_NAMES = (smollm.SMOLLM_NAME, gemma.GEMMA_NAME, fixture.FIXTURE_NAME)  # beside absolute paths to directories
# The real models converted into the runner cache on first use: ref -> module (cache_dir, converted_dir, ...).
CONVERTED = {smollm.SMOLLM_NAME: smollm, gemma.GEMMA_NAME: gemma}


def model_path(model_ref: str) -> Path:
    """The Hugging Face directory of a model ref (SmolLM2 is converted into the runner cache on first use)."""
    if model_ref == fixture.FIXTURE_NAME:
        return fixture.fixture_dir()
    if model_ref in CONVERTED:
        return CONVERTED[model_ref].converted_dir()
    path = Path(model_ref)
    if not path.is_absolute() or not (path / "config.json").is_file():
        raise Unsupported(f"model {model_ref!r} is neither one of {', '.join(MODEL_NAMES)} nor an absolute path to "
                          "a Hugging Face model directory (with config.json) on this runner")
    return path


def needs_preparation(model_ref: str) -> bool:
    """True when the first use of this model must build or convert it (worth its own progress stage)."""
    return model_ref in CONVERTED and not CONVERTED[model_ref].is_converted()


def prepare_model(ctx: Any, model_ref: str) -> None:
    """Before a lab measures anything: convert the model once in a child process (its own progress stage), so
    no measured load includes the conversion. ctx is the lab's LabContext. Unsupported when it cannot exist."""
    if needs_preparation(model_ref):
        target = f"{CONVERTED[model_ref].__name__}:prepare"
        ctx.run_child(target, {}, start=0, end=0, stage=f"preparing {model_ref}")


MAX_REPORTED_CONFIG = 32_000  # characters of a local model's config.json a result carries (a 7B's is ~1 KB)


def describe_model(model_ref: str) -> dict[str, Any]:
    """The model a result was measured on: {ref, name, parameters, source, notes}. Cheap: reads JSON only."""
    if model_ref in CONVERTED:
        return CONVERTED[model_ref].describe()
    if model_ref == fixture.FIXTURE_NAME:
        meta = fixture.fixture_target() / "fixture.json"  # never builds it here (the worker stays light)
        params = json.loads(meta.read_text()).get("parameters") if meta.is_file() else None
        return {"ref": model_ref, "name": "fixture (Qwen2 architecture, random seeded weights)", "parameters": params,
                "source": "built on the runner from a fixed seed (gpu_runner/checkpoints/fixture.py)",
                "notes": ["random weights: perplexity is large and only the change between precisions means "
                          "something"]}
    config_path = Path(model_ref) / "config.json"
    try:
        config = json.loads(config_path.read_text())
    except (OSError, ValueError):
        config = None
    config = config if isinstance(config, dict) else None
    name = (config or {}).get("_name_or_path") or Path(model_ref).name
    info = {"ref": model_ref, "name": name, "parameters": None, "source": f"local directory {model_ref}",
            "notes": []}
    if config is not None and len(json.dumps(config)) <= MAX_REPORTED_CONFIG:
        info["config"] = config  # the site reads the job against its capacity planner with it
    return info


def load_tokenizer(model_ref: str) -> TextTokenizer:
    if model_ref == fixture.FIXTURE_NAME:
        return fixture.FixtureTokenizer()
    return HFTokenizer(model_path(model_ref))


THREADS_ENV = "DEPLOYDOJO_TORCH_THREADS"


def pin_threads() -> int:
    """Set torch's CPU thread count from DEPLOYDOJO_TORCH_THREADS when the runner sets it (the same count for
    every configuration of a job, and for a benchmark's baseline); return the count in use."""
    import torch

    wanted = os.environ.get(THREADS_ENV, "").strip()
    if wanted:
        if not wanted.isdigit() or int(wanted) < 1:
            raise ValueError(f"{THREADS_ENV}={wanted!r}: expected a positive integer")
        torch.set_num_threads(int(wanted))
    return int(torch.get_num_threads())


def torch_dtype(name: str) -> Any:
    import torch

    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[name]


# On CUDA, torchao's int4 weight-only path packs weights for tinygemm (torch.ops.aten._weight_int4pack_mm), whose
# kernels need compute capability 8.0 or newer and bf16 weights (torchao 0.18 Int4TilePackedTo4dTensor.from_hp). The
# default packing ("plain", Int4Tensor) needs the separate mslk kernels, which no runner set installs.
INT4_CUDA_PACKING = "tile_packed_to_4d"
INT4_MIN_COMPUTE_CAPABILITY = (8, 0)
# transformers 5.x loads both pre-quantized formats through gptqmodel (AwqQuantizer and GptqHfQuantizer check
# is_gptqmodel_available; GPTQ also needs optimum); autoawq is deprecated and not used.
PREQUANTIZED_NEEDS = {"gptq": ("gptqmodel", "optimum"), "awq": ("gptqmodel", "accelerate")}
QUANT_SET = "gpu_runner/requirements-cuda-quant.txt (its own virtualenv, torch 2.14.1)"


def support_reason(precision: str, *, cuda: bool, checkpoints: dict[str, str],
                   compute_capability: tuple[int, int] | None = None) -> str | None:
    """Why this runner cannot measure a precision for real, or None when it can (checked before spawning).
    compute_capability: the job's GPU (major, minor) when known."""
    have = importlib.util.find_spec
    if precision in ("nf4",) or (precision == "int8" and cuda):
        if not cuda:
            return "bitsandbytes NF4 runs on CUDA devices; this runner has none"
        if have("bitsandbytes") is None:
            return "bitsandbytes is not installed on this runner (see gpu_runner/requirements-cuda.txt)"
    if (precision in ("int8-wo", "int4") or (precision == "int8" and not cuda)) and have("torchao") is None:
        return "torchao is not installed on this runner"
    if precision == "int4" and cuda and compute_capability is not None \
            and tuple(compute_capability) < INT4_MIN_COMPUTE_CAPABILITY:
        major, minor = compute_capability
        return (f"torchao's int4 CUDA kernels (tinygemm, {INT4_CUDA_PACKING} packing) need compute capability 8.0 "
                f"or newer; this GPU has {major}.{minor}")
    if precision in PREQUANTIZED_NEEDS:
        if not cuda:
            return f"{precision.upper()} checkpoints run on gptqmodel's CUDA kernels; this runner has no CUDA device"
        ckpt = checkpoints.get(precision)
        if not ckpt:
            return f"no pre-quantized {precision.upper()} checkpoint given (params.checkpoints.{precision})"
        if not os.path.isfile(os.path.join(ckpt, "config.json")):
            return f"{precision.upper()} checkpoint {ckpt!r} is not a model directory on this runner"
        missing = [m for m in PREQUANTIZED_NEEDS[precision] if have(m) is None]
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            return (f"{' and '.join(missing)} {verb} not installed on this runner: transformers 5.x loads "
                    f"{precision.upper()} checkpoints through gptqmodel; install {QUANT_SET}")
    return None


def compute_capability(capabilities: dict[str, Any]) -> tuple[int, int] | None:
    """(major, minor) of the runner's first CUDA device from its probed capabilities, None when unknown."""
    devices = capabilities.get("cuda_devices") or []
    text = str(devices[0].get("compute_capability", "")) if devices else ""
    major, _, minor = text.partition(".")
    return (int(major), int(minor)) if major.isdigit() and minor.isdigit() else None


def warm_imports(model_ref: str) -> None:
    """Import the model's code before a load is timed: transformers imports lazily on the first load, and
    that one-off cost (seconds) is not the cost of loading weights. A meta-device instance allocates nothing."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(model_path(model_ref))
    with torch.device("meta"):
        AutoModelForCausalLM.from_config(config)


def load_model(model_ref: str, precision: str, device: str, checkpoints: dict[str, str]) -> tuple[Any, str, list[str]]:
    """Return (model in eval mode on device, back-end description, notes)."""
    import torch
    from transformers import AutoModelForCausalLM

    cuda = device.startswith("cuda")
    capability = tuple(torch.cuda.get_device_capability()) if cuda else None
    reason = support_reason(precision, cuda=cuda, checkpoints=checkpoints, compute_capability=capability)
    if reason:
        raise Unsupported(reason)
    path = model_path(model_ref)
    notes: list[str] = []
    if precision in FLOAT_PRECISIONS:
        # device_map loads straight onto the GPU instead of staging the whole model in host memory first.
        placement = {"device_map": device} if cuda else {}
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype(precision), **placement)
        return model.eval(), f"PyTorch {precision} on {device}", notes
    if precision in ("gptq", "awq"):
        model = AutoModelForCausalLM.from_pretrained(checkpoints[precision], device_map=device)
        return model.eval(), f"pre-quantized {precision.upper()} checkpoint via transformers", notes
    if precision == "nf4" or (precision == "int8" and cuda):
        from transformers import BitsAndBytesConfig

        if precision == "nf4":
            qc = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16)
            backend = "bitsandbytes NF4 weights, bf16 compute"
        else:
            qc = BitsAndBytesConfig(load_in_8bit=True)
            backend = "bitsandbytes LLM.int8() (outlier columns in fp16)"
        model = AutoModelForCausalLM.from_pretrained(path, quantization_config=qc, device_map=device)
        return model.eval(), backend, notes
    return _load_torchao(path, precision, device, notes)


def _load_torchao(path: Path, precision: str, device: str, notes: list[str]) -> tuple[Any, str, list[str]]:
    import torch
    from transformers import AutoModelForCausalLM

    try:
        import torchao
        from torchao.quantization import Int4WeightOnlyConfig, Int8WeightOnlyConfig, IntxWeightOnlyConfig, quantize_
        from torchao.quantization.granularity import PerGroup
    except ImportError as exc:
        raise Unsupported(f"torchao does not import here: {exc}") from None
    cuda = device.startswith("cuda")
    base = torch.bfloat16 if cuda else torch.float32
    # Loaded into host memory; quantize_(device=...) moves each Linear to the device just before quantizing it, so
    # the GPU never holds the whole float model (a model whose int4 form fits but whose bf16 form does not runs).
    model = AutoModelForCausalLM.from_pretrained(path, dtype=base).eval()
    version = torchao.__version__
    if cuda:
        notes.append("quantized layer by layer on the way to the GPU (the float model stays in host memory)")
    if precision == "int8":  # CPU; CUDA int8 is bitsandbytes LLM.int8() above
        # W8A8: activations quantized per token at every call. torch.ao's quantize_dynamic (deprecated in favour
        # of this) scales a whole activation tensor to 7 bits, which outlier channels ruin: on SmolLM2-135M its
        # top-1 agreement with fp32 was 0.37 against 0.84 here.
        from torchao.quantization import Int8DynamicActivationInt8WeightConfig

        quantize_(model, Int8DynamicActivationInt8WeightConfig(), device=device)
        backend = f"torchao {version} int8 dynamic activations (per token) x int8 weights (per channel)"
        return model.to(device), backend, notes
    if precision == "int8-wo":
        quantize_(model, Int8WeightOnlyConfig(), device=device)
        return model.to(device), f"torchao {version} int8 weight-only (per-channel scales)", notes
    if cuda:
        try:
            quantize_(model, Int4WeightOnlyConfig(group_size=128, int4_packing_format=INT4_CUDA_PACKING), device=device)
        except (ImportError, NotImplementedError) as exc:  # a kernel this build lacks; any other error (out of
            # memory included) is a failure of the run and is reported as one, never as "unsupported"
            raise Unsupported(f"torchao {version} int4 weight-only ({INT4_CUDA_PACKING}) is not available here: "
                              f"{type(exc).__name__}: {exc}") from None
        model.to(device)
        # tinygemm pads in-features to a multiple of 1024 and out-features to 8 (Int4TilePackedTo4dTensor.from_hp):
        # the weight bytes reported are the packed tensors as stored, padding included.
        notes.append("int4 packed for tinygemm (in-features padded to a multiple of 1024); layers whose in-features "
                     "are not a multiple of 128 stay bf16")
        return model, f"torchao {version} int4 weight-only, group 128 ({INT4_CUDA_PACKING}, tinygemm), bf16", notes
    # torchao's packed int4 CPU kernels need extra libraries; the portable layout keeps one int4 value per
    # byte, so the figures show int4's rounding error but not its memory saving.
    quantize_(model, IntxWeightOnlyConfig(weight_dtype=torch.int4, granularity=PerGroup(32)), device=device)
    model.to(device)
    notes.append("int4 values stored unpacked, one per byte (torchao IntxWeightOnly on CPU): weight bytes match "
                 "int8, the accuracy effect is int4's")
    return model, f"torchao {version} int4 weight-only, group 32 (unpacked)", notes
