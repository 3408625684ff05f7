"""Load an exercise's custom checker (trusted project content, run outside the sandbox)."""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import Callable
from pathlib import Path

_counter = itertools.count()


def load_checker(path: str | Path) -> Callable[[list, object, object], bool]:
    """Import ``checker.py`` and return its ``check(args, expected, actual) -> bool``.

    Checkers come from content/ (reviewed like code), never from learners, so they are imported
    in-process; a unique module name keeps two exercises' checkers from replacing each other.
    """
    path = Path(path)
    spec = importlib.util.spec_from_file_location(f"deploydojo_checker_{next(_counter)}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load checker from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    check = getattr(module, "check", None)
    if not callable(check):
        raise TypeError(f"{path} does not define check(args, expected, actual)")
    return check


def checker_from_source(source: str) -> Callable[[list, object, object], bool]:
    """Same as load_checker, for a checker stored in the database by load_content."""
    namespace: dict = {"__name__": f"deploydojo_checker_{next(_counter)}"}
    exec(compile(source, "<checker.py>", "exec"), namespace)  # noqa: S102 - trusted content, see load_checker
    check = namespace.get("check")
    if not callable(check):
        raise TypeError("checker.py does not define check(args, expected, actual)")
    return check
