"""C++ tokenizer lab: take the learner's source (files or one base64 archive), hand it to
gpu_runner.labs.cpp_tokenizer.check (sandboxed compile, exact-id parity with tiktoken, speed) and return its report."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import labcontract
from gpu_runner.labs import LabContext
from labcontract.labs import cpp_tokenizer as cpp_contract

# The result travels in one HTTP body; per-document detail is dropped first when it would not fit.
_RESULT_BUDGET_BYTES = labcontract.MAX_BODY_BYTES - 16 * 1024


class SourceRejected(ValueError):
    """The params do not carry usable source (bad base64, unknown archive type, over the size cap)."""


def source_files(params: dict[str, Any]) -> dict[str, bytes]:
    """{file name: bytes} from params.files, or {"submission.<ext>": archive bytes} from params.archive_b64."""
    if "files" in params:
        files = {name: text.encode("utf-8") for name, text in params["files"].items()}
    else:
        try:
            data = base64.b64decode(params["archive_b64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SourceRejected(f"archive_b64 is not valid base64: {exc}") from None
        files = {"submission" + _archive_suffix(data): data}
    size = sum(len(b) for b in files.values())
    if size > cpp_contract.CPP_SOURCE_MAX_BYTES:
        raise SourceRejected(f"source is {size} bytes, over the {cpp_contract.CPP_SOURCE_MAX_BYTES}-byte cap")
    return files


def _archive_suffix(data: bytes) -> str:
    if data[:2] == b"\x1f\x8b":
        return ".tar.gz"
    if data[:4] == b"PK\x03\x04":
        return ".zip"
    if data[257:262] == b"ustar":
        return ".tar"
    raise SourceRejected("archive_b64 is neither a .tar.gz, a .tar nor a .zip archive")


def run(params: dict[str, Any], ctx: LabContext) -> dict[str, Any]:
    from gpu_runner.labs.cpp_tokenizer import check as tokenizer_check

    ctx.report(5, "unpacking source")
    try:
        files = source_files(params)
    except SourceRejected as exc:
        return {"lab": "cpp-tokenizer", "status": "REJECTED", "message": str(exc), "source_files": []}
    ctx.report(10, "compiling and checking in the sandbox")
    report = tokenizer_check.check(files)
    ctx.report(100, "done")
    result = {**report, "lab": "cpp-tokenizer",
              "source_files": [{"name": n, "bytes": len(b)} for n, b in sorted(files.items())]}
    if len(json.dumps(result).encode()) > _RESULT_BUDGET_BYTES and isinstance(result.get("documents"), list):
        result["documents"] = [{k: d.get(k) for k in ("name", "match", "error") if k in d}
                               for d in result["documents"]]
        result["documents_trimmed"] = True
    return result
