"""The regex libraries a C++ tokenizer submission may link (labcontract.CPP_REGEX_LIBRARIES): std::regex has no
\\p{L}, so a qwen.cpp-style tokenizer needs PCRE2 or RE2. They are found with pkg-config on the runner, outside the
sandbox, and linked when present; the sandbox binds /usr read-only, so their headers and shared objects are there
at compile and run time. A failed build that needed one the runner lacks is told so by name.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class RegexLibrary:
    title: str
    pkg_config: str  # pkg-config module name
    package: str  # the Debian/Ubuntu package that installs it
    # In g++'s output, the sign that the source uses it: its header not found, or its symbols undefined.
    needed: re.Pattern[str]


# In labcontract.CPP_REGEX_LIBRARIES order (a test holds them equal).
KNOWN = {
    "pcre2": RegexLibrary(
        "PCRE2", "libpcre2-8", "libpcre2-dev", re.compile(r"\bpcre2\.h: No such file|undefined reference to .pcre2_")
    ),
    # Demangled C++ names may start with a return type: "undefined reference to `bool re2::RE2::...'".
    "re2": RegexLibrary(
        "RE2", "re2", "libre2-dev", re.compile(r"\bre2/[\w.]+: No such file|undefined reference to .[^'\n]*\bre2::")
    ),
}


def detect() -> dict[str, tuple[str, ...]]:
    """{name: g++ flags} for each library pkg-config knows here whose paths the sandbox can see."""
    pkg_config = shutil.which("pkg-config")
    if pkg_config is None:
        return {}
    found = {}
    for name, lib in KNOWN.items():
        out = subprocess.run(
            [pkg_config, "--cflags", "--libs", lib.pkg_config],
            check=False,
            capture_output=True,
            text=True,
            timeout=20,
        )
        flags = tuple(dict.fromkeys(shlex.split(out.stdout)))  # re2.pc names -pthread in both Cflags and Libs
        if out.returncode == 0 and all(map(_inside_sandbox, flags)):
            found[name] = flags
    return found


def _inside_sandbox(flag: str) -> bool:
    """-I and -L paths must lie in the sandbox's /usr; /usr/local is masked there (sandbox module docstring)."""
    if not flag.startswith(("-I", "-L")):
        return True
    path = os.path.normpath(flag[2:]) + "/"
    return path.startswith("/usr/") and not path.startswith("/usr/local/")


@functools.lru_cache(maxsize=1)
def on_this_runner() -> dict[str, tuple[str, ...]]:
    """detect(), once per process: what every compile links and what the capability probe reports."""
    return detect()


def lacking(compiler_message: str, linked: dict[str, tuple[str, ...]]) -> list[str]:
    """The libraries a failed build needed (header missing or symbols undefined) that the command did not link."""
    return [name for name, lib in KNOWN.items() if name not in linked and lib.needed.search(compiler_message)]


def lacking_note(names: list[str]) -> str:
    """One line per lacking library, for the top of the compiler's message."""
    return "".join(
        f"this runner has no {KNOWN[n].title} (no pkg-config module {KNOWN[n].pkg_config} under /usr; "
        f"Debian/Ubuntu package {KNOWN[n].package}), so the compile command does not link it\n"
        for n in names
    )
