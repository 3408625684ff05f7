"""The suite's own layout: test modules share helpers through tests/support.py, tests/faultkit.py, tests/data
or fixtures, never by importing conftest.py or another test module (which runs that module's code twice and
ties one file's tests to another's)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def test_no_test_module_imports_conftest_or_another_test_module():
    offenders = []
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                last = name.rsplit(".", 1)[-1]
                if name.startswith("tests.") and (last == "conftest" or last.startswith("test_")):
                    offenders.append(f"{path.name}:{node.lineno} imports {name}")
    assert offenders == []
