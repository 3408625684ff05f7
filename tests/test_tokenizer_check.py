"""The C++ tokenizer check: golden vector, reference parity, catching a wrong tokenizer, CE, unsafe archives."""

from __future__ import annotations

import io
import random
import subprocess
import tarfile
import unicodedata
import zipfile
from pathlib import Path

import pytest

import sandbox
from gpu_runner.labs.cpp_tokenizer import check as tc

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_TEXT = 'print("<|endoftext|>")'
GOLDEN_IDS = [1350, 445, 151643, 899]  # Qwen's tokenization note, via facts.md

needs_sandbox = pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1])


@pytest.fixture(scope="module")
def encoding():
    return tc.reference_encoding(str(tc.default_vocab_path()))


@pytest.fixture(scope="module")
def reference_binary() -> Path:
    return tc.build_reference_binary()


def run_reference(binary: Path, data: bytes, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(binary), str(tc.default_vocab_path()), *extra], input=data, capture_output=True, timeout=120, check=False
    )


def wrong_submission() -> dict[str, bytes]:
    headers = {name: (tc.REFERENCE_DIR / name).read_bytes() for name in ("qwen_tokenizer.h", "unicode_tables.h")}
    return {"tokenizer_wrong.cpp": (ROOT / "tests/data/tokenizer_wrong.cpp").read_bytes(), **headers}


def targz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def test_tiktoken_reference_encodes_the_golden_vector(encoding):
    assert tc.reference_encode(GOLDEN_TEXT.encode(), encoding) == GOLDEN_IDS


def test_reference_binary_encodes_the_golden_vector(reference_binary):
    out = run_reference(reference_binary, GOLDEN_TEXT.encode())
    assert out.returncode == 0, out.stderr
    assert out.stdout == b"1350 445 151643 899\n"


def test_reference_binary_rejects_invalid_utf8_with_exit_status_2(reference_binary):
    out = run_reference(reference_binary, b"ok \xc3\x28 broken")
    assert out.returncode == 2
    assert b"invalid UTF-8 at byte offset 3" in out.stderr
    assert out.stdout == b""


def test_nfd_and_nfc_accented_documents_give_the_same_ids(encoding, reference_binary):
    nfc = (tc.CORPUS_DIR / "14_accents_nfc.txt").read_bytes()
    nfd = (tc.CORPUS_DIR / "15_accents_nfd.txt").read_bytes()
    assert nfc != nfd
    assert tc.reference_encode(nfc, encoding) == tc.reference_encode(nfd, encoding)
    assert run_reference(reference_binary, nfc).stdout == run_reference(reference_binary, nfd).stdout


def test_reference_nfc_agrees_with_python_for_every_code_point(reference_binary):
    # Each code point alone, after a base letter with marks in non-canonical order, and after a
    # Hangul leading consonant: covers decomposition, reordering, composition and exclusions.
    chars = (chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    text = "".join(f"{c}\ne{c}\u0323\u0301\n\u1100{c}\u11a8\n" for c in chars)
    out = run_reference(reference_binary, text.encode(), "--nfc")
    assert out.returncode == 0
    assert out.stdout.decode() == unicodedata.normalize("NFC", text)


def test_reference_binary_matches_tiktoken_on_seeded_random_text(encoding, reference_binary):
    rng = random.Random(20240601)
    atoms = [
        "a",
        "Z",
        "7",
        " ",
        "  ",
        "\t",
        "\n",
        "\r\n",
        "'s",
        "'LL",
        "'ſ",
        "!?",
        "e\u0301",
        "\u0338",
        "中文",
        "\u1100\u1161",
        "😀",
        "👍🏽",
        "\u00a0",
        "\u3000",
        "<|im_start|>",
        "<|extra_204|>",
        "<|",
        "Ελλ",
        "नम",
    ]
    for _ in range(15):
        doc = "".join(
            rng.choice(atoms) if rng.random() < 0.8 else chr(rng.randrange(0x20, 0x30000))
            for _ in range(rng.randrange(1, 400))
        )
        data = doc.encode("utf-8", "replace")
        out = run_reference(reference_binary, data)
        assert tc.parse_ids(out.stdout) == tc.reference_encode(data, encoding), ascii(doc)


def test_corpus_covers_the_cases_the_contract_names():
    corpus = tc.load_corpus()
    text = {name: body.decode("utf-8") for name, body in corpus.items()}
    joined = "".join(text.values())
    assert len(corpus) >= 20
    assert 100_000 < sum(map(len, corpus.values())) < 1_000_000
    for needle in (
        "<|im_start|>system\n",
        "<|im_end|>",
        "\r\n",
        "\t",
        "'LL",
        "'Ve",
        "👨‍👩‍👧‍👦",
        "👍🏽",
        "العربية",
        "한국어",
        "ไทย",
        "Русский",
        "Ελληνικά",
        "हिन्दी",
    ):
        assert needle in joined, needle
    assert any(unicodedata.normalize("NFC", t) != t for t in text.values()), "no NFD document"


@needs_sandbox
@pytest.mark.timeout(600)
def test_reference_cpp_passes_the_whole_corpus_and_reports_its_speed_beside_tiktokens():
    limits = tc.CheckLimits(bench_bytes=400_000, bench_repeats=3)
    report = tc.check(tc.reference_sources(), limits=limits)
    assert report["status"] == "OK", report.get("first_mismatch") or report.get("message")
    assert report["exact_match_rate"] == 1.0
    assert report["documents_matched"] == report["documents_total"] >= 20
    assert report["invalid_utf8"]["ok"]
    # Shape, not speed: how the C++ compares with tiktoken is bench/labs.py's tokenizer_speed_ratio figure.
    speed = report["throughput"]
    assert speed["candidate_mb_s"] > 0 and speed["tiktoken_mb_s"] > 0, speed
    assert speed["ratio"] == pytest.approx(speed["candidate_mb_s"] / speed["tiktoken_mb_s"], rel=0.02, abs=0.01)
    assert speed["bench_bytes"] == len(tc.bench_document(tc.load_corpus(), 400_000)) and speed["repeats"] == 3


@needs_sandbox
@pytest.mark.timeout(600)
def test_check_catches_a_tokenizer_that_skips_nfc_and_shows_the_first_difference():
    report = tc.check(wrong_submission(), measure_speed=False)
    corpus = tc.load_corpus()
    not_nfc = {name for name, body in corpus.items() if unicodedata.normalize("NFC", body.decode()) != body.decode()}
    failed = {d["name"] for d in report["documents"] if not d["match"]}
    assert report["status"] == "WA"
    assert failed == not_nfc
    assert report["exact_match_rate"] == round(1 - len(not_nfc) / len(corpus), 4)
    first = report["first_mismatch"]
    assert first["document"] == min(not_nfc)
    differing = next(row for row in first["context"] if row["differs"])
    assert differing["reference"]["id"] != differing["candidate"]["id"]
    assert differing["reference"]["text"] in first["table"] or repr(differing["reference"]["text"]) in first["table"]
    nfd_doc = next(d for d in report["documents"] if d["name"] == "15_accents_nfd.txt")
    rows = nfd_doc["first_mismatch"]["context"]
    # Without NFC the candidate emits a bare U+0301 where the reference has the precomposed "é".
    assert "\u0301" in "".join(r["candidate"]["text"] for r in rows)
    assert "\u0301" not in "".join(r["reference"]["text"] for r in rows)
    assert "é" in "".join(r["reference"]["text"] for r in rows)


@needs_sandbox
@pytest.mark.timeout(300)
def test_compile_error_from_an_archive_submission_is_ce_with_the_compilers_message():
    broken = b'#include <cstdio>\nint main() { printf("no semicolon") return 0; }\n'
    report = tc.check({"submission.tar.gz": targz({"tok/main.cpp": broken})}, measure_speed=False)
    assert report["status"] == "CE"
    assert "main.cpp" in report["message"] and "error" in report["message"]
    assert "expected ';'" in report["message"]


@needs_sandbox
def test_archive_members_that_escape_with_dotdot_are_refused():
    payload = b"int main() { return 0; }\n"
    report = tc.check({"evil.tar.gz": targz({"main.cpp": payload, "../escape.cpp": payload})})
    assert report["status"] == "REJECTED"
    assert "'..'" in report["message"]


def test_unsafe_archives_are_refused_before_anything_is_compiled():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("/etc/main.cpp", "int main(){}")
    with pytest.raises(tc.SubmissionRejected, match="absolute"):
        tc.unpack_submission({"abs.zip": buf.getvalue()})
    tar_buf = io.BytesIO()
    with tarfile.open(fileobj=tar_buf, mode="w:gz") as tar:
        link = tarfile.TarInfo("main.cpp")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/shadow"
        tar.addfile(link)
    with pytest.raises(tc.SubmissionRejected, match="link"):
        tc.unpack_submission({"link.tgz": tar_buf.getvalue()})
    big = targz({"main.cpp": b"//" + b"x" * (5 << 20)})
    with pytest.raises(tc.SubmissionRejected, match="more than"):
        tc.unpack_submission({"big.tar.gz": big})
