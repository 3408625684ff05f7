"""The C++ tokenizer check links PCRE2 and RE2 when the runner has them: a learner's pre-tokeniser on either compiles,
links and runs in the sandbox; the result names the exact command and the libraries; a runner without one leaves
it out of the command and a build that needed it says which library the runner lacks."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

import labcontract
import sandbox
from gpu_runner.labs.cpp_tokenizer import check as tc
from gpu_runner.labs.cpp_tokenizer import libraries as cpp_libraries
from labcontract.labs import cpp_tokenizer as cpp_contract

DATA = Path(__file__).resolve().parent / "data"
TEXT = "Hello  world'S 2024 naïve\r\n\n  x"
# Qwen's pattern (as tiktoken / the `regex` module split it): "  world" is " " + " world" by the (?!\S) rule.
QWEN_PIECES = ["Hello", " ", " world", "'S", " ", "2", "0", "2", "4", " naïve", "\r\n\n", " ", " x"]
SIMPLE_PIECES = ["Hello", "  ", "world", "'", "S", " ", "2", "0", "2", "4", " ", "naïve", "\r\n\n  ", "x"]
INSTALL = "install libpcre2-dev libre2-dev pkg-config (.ci/run does)"

needs_sandbox = pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1])


@pytest.fixture(scope="module")
def both() -> dict[str, tuple[str, ...]]:
    found = cpp_libraries.detect()
    assert list(found) == ["pcre2", "re2"], INSTALL
    return found


def pieces(binary: bytes, text: str) -> list[str]:
    out = tc.run_binary(binary, text.encode(), tc.default_vocab_path())
    assert out.returncode == 0, (out.error, out.stderr[-500:])
    return out.stdout.decode().split("\0")[:-1]


def test_the_runner_finds_both_libraries_with_pkg_config_and_knows_each_one_the_contract_names(both):
    assert tuple(cpp_libraries.KNOWN) == labcontract.CPP_REGEX_LIBRARIES
    assert "-lpcre2-8" in both["pcre2"] and "-lre2" in both["re2"]


def test_pkg_config_without_re2_and_with_pcre2_only_under_usr_local_finds_neither(tmp_path, monkeypatch):
    # An own pkg-config search path: no re2.pc, and a PCRE2 built into /usr/local, which the sandbox masks.
    (tmp_path / "libpcre2-8.pc").write_text(
        "Name: libpcre2-8\nDescription: x\nVersion: 10.42\nCflags: -I/usr/local/include\n"
        "Libs: -L/usr/local/lib -lpcre2-8\n"
    )
    monkeypatch.setenv("PKG_CONFIG_LIBDIR", str(tmp_path))
    monkeypatch.setenv("PKG_CONFIG_PATH", "")
    assert cpp_libraries.detect() == {}
    (tmp_path / "libpcre2-8.pc").write_text("Name: libpcre2-8\nDescription: x\nVersion: 10.42\nLibs: -lpcre2-8\n")
    assert cpp_libraries.detect() == {"pcre2": ("-lpcre2-8",)}


@needs_sandbox
@pytest.mark.timeout(300)
def test_a_pcre2_pretokenizer_compiles_links_and_splits_like_qwens_pattern_in_the_sandbox(both):
    binary, report = tc.compile_in_sandbox({"pretok.cpp": (DATA / "pretok_pcre2.cpp").read_bytes()}, libraries=both)
    assert report["ok"], report["message"]
    assert report["argv"] == ["g++", "-O2", "-std=c++17", "-o", "tokenizer", "pretok.cpp", *both["pcre2"], *both["re2"]]
    assert report["command"] == shlex.join(report["argv"])
    assert report["regex_libraries"] == ["pcre2", "re2"]
    assert "regex_libraries_missing" not in report
    assert pieces(binary, TEXT) == QWEN_PIECES


@needs_sandbox
@pytest.mark.timeout(300)
def test_an_re2_pretokenizer_compiles_links_and_runs_in_the_sandbox_with_the_runners_libraries(both):
    binary, report = tc.compile_in_sandbox({"pretok.cpp": (DATA / "pretok_re2.cpp").read_bytes()})
    assert report["ok"], report["message"]
    assert report["regex_libraries"] == list(cpp_libraries.on_this_runner()) == ["pcre2", "re2"]
    assert report["command"].endswith("pretok.cpp " + " ".join([*both["pcre2"], *both["re2"]]))
    assert pieces(binary, TEXT) == SIMPLE_PIECES


@needs_sandbox
@pytest.mark.timeout(300)
def test_a_runner_without_re2_leaves_it_out_and_the_failed_link_says_the_runner_lacks_re2(both):
    only_pcre2 = {"pcre2": both["pcre2"]}
    source = {"pretok.cpp": (DATA / "pretok_re2.cpp").read_bytes()}
    report = tc.check(source, libraries=only_pcre2, measure_speed=False)
    assert report["status"] == "CE"
    assert report["compile"]["argv"] == ["g++", "-O2", "-std=c++17", "-o", "tokenizer", "pretok.cpp", *both["pcre2"]]
    assert "-lre2" not in report["compile"]["argv"] and "-lre2" not in report["compile"]["command"]
    assert report["compile"]["regex_libraries"] == ["pcre2"]
    assert report["compile"]["regex_libraries_missing"] == ["re2"]
    first_line, rest = report["message"].split("\n", 1)
    assert first_line.startswith("this runner has no RE2") and "libre2-dev" in first_line
    assert "undefined reference to `re2::" in rest
    labcontract.validate_result("cpp-tokenizer", {**report, "lab": "cpp-tokenizer", "source_files": []})
    assert labcontract.result_failure("cpp-tokenizer", report).startswith("CE: this runner has no RE2")


@needs_sandbox
@pytest.mark.timeout(300)
def test_a_runner_without_any_regex_library_names_pcre2_when_a_pcre2_build_fails_to_link():
    binary, report = tc.compile_in_sandbox({"pretok.cpp": (DATA / "pretok_pcre2.cpp").read_bytes()}, libraries={})
    assert binary is None
    assert report["argv"] == ["g++", "-O2", "-std=c++17", "-o", "tokenizer", "pretok.cpp"]
    assert report["regex_libraries"] == [] and report["regex_libraries_missing"] == ["pcre2"]
    assert report["message"].startswith("this runner has no PCRE2 (no pkg-config module libpcre2-8")


def test_a_missing_regex_header_names_the_library_not_the_learners_archive():
    message = "pretok.cpp:3:10: fatal error: re2/re2.h: No such file or directory\ncompilation terminated.\n"
    assert cpp_libraries.lacking(message, {"pcre2": ("-lpcre2-8",)}) == ["re2"]
    assert cpp_libraries.lacking(message, {"re2": ("-lre2",)}) == []
    templated = "pretok.cpp:(.text+0x1): undefined reference to `bool re2::re2_internal::Parse<int>(char const*)'"
    assert cpp_libraries.lacking(templated, {}) == ["re2"]
    # The page's "upload your headers in an archive" hint is for the learner's own headers only.
    assert cpp_contract.missing_headers(message + "b.cpp:1:10: fatal error: tok.h: No such file or directory") == [
        "tok.h"
    ]


def test_the_capability_schema_accepts_the_regex_libraries_and_refuses_others():
    caps = {"cpu": {}, "ram_bytes": 1, "cuda_devices": [], "versions": {}, "queues": ["lab.cpu"]}
    labcontract.validate("heartbeat", {"capabilities": {**caps, "cpp_regex": ["pcre2", "re2"]}})
    with pytest.raises(labcontract.ContractError, match="cpp_regex"):
        labcontract.validate("heartbeat", {"capabilities": {**caps, "cpp_regex": ["boost"]}})
