"""cpp-tokenizer: the learner's C++ Qwen tokenizer, built in the sandbox and checked token for token against tiktoken.

cpp-tokenizer: the report of gpu_runner.labs.cpp_tokenizer.check.check() as is, plus "lab" and
  "source_files" (names and byte sizes of the learner's files); status OK | WA | CE | REJECTED | UNAVAILABLE.
  OK/WA carry "compile", "documents", "exact_match_rate" and (when every document matched) "throughput"
  {"candidate_mb_s", "tiktoken_mb_s", "ratio", ...} or {"error"}; CE/REJECTED/UNAVAILABLE carry "message"
  (the compiler's output for CE) and make the job a failure (result_failure), as does WA: a tokenizer whose ids
  differ from the reference on any document is not a success, though its report is kept for the page.
"""

from __future__ import annotations

import re

from labcontract.api import CPP_REGEX_LIBRARIES
from labcontract.labs._schema import NUM, RATE, STR_LIST
from labcontract.labs.spec import LabSpec

CPP_SOURCE_MAX_BYTES = 1024 * 1024  # all learner files together, decoded

CPP_TOKENIZER_PARAMS = {
    "type": "object",
    "additionalProperties": False,
    # Either files (name -> source text) or archive_b64 (a .tar.gz or .zip, base64).
    "oneOf": [{"required": ["files"]}, {"required": ["archive_b64"]}],
    "properties": {
        "files": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 32,
            "propertyNames": {"pattern": r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]{0,99}$"},
            "additionalProperties": {"type": "string", "maxLength": CPP_SOURCE_MAX_BYTES},
        },
        "archive_b64": {"type": "string", "maxLength": (CPP_SOURCE_MAX_BYTES * 4) // 3 + 4},
    },
}

CPP_TOKENIZER_STATUSES = ("OK", "WA", "CE", "REJECTED", "UNAVAILABLE")
_REGEX_LIST = {"type": "array", "uniqueItems": True, "items": {"enum": list(CPP_REGEX_LIBRARIES)}}

CPP_TOKENIZER_RESULT = {
    "type": "object",
    "required": ["lab", "status", "source_files"],
    "properties": {
        "lab": {"const": "cpp-tokenizer"},
        "status": {"enum": list(CPP_TOKENIZER_STATUSES)},
        "message": {"type": "string"},
        "source_files": {"type": "array", "items": {
            "type": "object", "required": ["name", "bytes"],
            "properties": {"name": {"type": "string"}, "bytes": {"type": "integer", "minimum": 0}}}},
        # command: argv shell-quoted (what the page shows); regex_libraries: those argv links;
        # regex_libraries_missing: those a failed build needed that this runner lacks (the message says so first).
        "compile": {"type": "object", "required": ["ok", "message"],
                    "properties": {"ok": {"type": "boolean"}, "seconds": NUM, "command": {"type": "string"},
                                   "argv": STR_LIST, "regex_libraries": _REGEX_LIST,
                                   "regex_libraries_missing": _REGEX_LIST, "message": {"type": "string"}}},
        "documents": {"type": "array", "items": {
            "type": "object", "required": ["name", "match"],
            "properties": {"name": {"type": "string"}, "match": {"type": "boolean"},
                           "reference_tokens": {"type": ["integer", "null"]},
                           "candidate_tokens": {"type": ["integer", "null"]}, "error": {"type": "string"}}}},
        "documents_total": {"type": "integer", "minimum": 0},
        "documents_matched": {"type": "integer", "minimum": 0},
        "exact_match_rate": RATE,
        "first_mismatch": {"type": ["object", "null"], "required": ["document"]},
        "throughput": {"type": "object", "oneOf": [
            {"required": ["candidate_mb_s", "tiktoken_mb_s", "ratio"],
             "properties": {"candidate_mb_s": NUM, "tiktoken_mb_s": NUM, "ratio": NUM}},
            {"required": ["error"], "properties": {"error": {"type": "string"}}}]},
    },
    # A check that compiled and ran reports its parity; one that did not (CE, REJECTED, UNAVAILABLE) says why.
    "if": {"properties": {"status": {"enum": ["OK", "WA"]}}},
    "then": {"required": ["compile", "documents", "documents_total", "documents_matched", "exact_match_rate"]},
    "else": {"required": ["message"]},
}



def result_failure(result: dict) -> str | None:
    """A check that never ran the tokenizer (CE, REJECTED, UNAVAILABLE) is a failed job whose error is the checker's
    message (the compiler's output for CE); one that ran but whose token ids differ from the reference on some
    document (WA) is a failed job too, its error naming how many (labcontract.stages.FAILURES, "parity-failed").
    The result is stored either way, so the page can show the command, the files and the per-document table."""
    status = result.get("status")
    if status not in ("OK", "WA"):
        return f"{status}: {result.get('message') or 'the check did not run'}"[:4000]
    total, matched = result.get("documents_total"), result.get("documents_matched")
    if isinstance(total, int) and isinstance(matched, int) and matched < total:
        return f"WA: {total - matched} of {total} documents do not match the reference tokenizer"
    rate = result.get("exact_match_rate")
    if status == "WA" or (isinstance(rate, (int, float)) and rate < 1):
        return "WA: the token ids do not match the reference tokenizer on every document"
    return None


MISSING_HEADER = re.compile(r"fatal error: ([^\s:]+\.(?:h|hh|hpp|hxx)): No such file or directory")
CPP_REGEX_HEADER = re.compile(r"^(?:pcre2\.h|re2/[\w.]+)$")


def missing_headers(compiler_message: str) -> list[str]:
    """The learner's headers g++ could not find ("fatal error: x.h: No such file or directory"), in order, once
    each; a regex library's header is not one of them (the runner lacks that library, and the message says so)."""
    found = MISSING_HEADER.findall(compiler_message or "")
    return [h for h in dict.fromkeys(found) if not CPP_REGEX_HEADER.match(h)]


SPEC = LabSpec(slug="cpp-tokenizer", order=40, queues=("lab.cpu",), params=CPP_TOKENIZER_PARAMS,
               result=CPP_TOKENIZER_RESULT, result_failure=result_failure)
