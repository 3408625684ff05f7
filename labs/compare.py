"""Two jobs side by side: the headline figures with their ratio, and the parameters and system facts that differ."""

from __future__ import annotations

from collections.abc import Callable

from labs import noise
from labs.charts import is_number, param_rows, system_rows


def _differing(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    left, right = dict(a), dict(b)
    keys = [*left, *(k for k in right if k not in left)]
    return [(k, left.get(k, "—"), right.get(k, "—")) for k in keys if left.get(k, "—") != right.get(k, "—")]


def _system_pairs(info: dict | None) -> list[tuple[str, str]]:
    view = system_rows(info)
    gpus = [(f"GPU {i}", f"{g['name']} · {g['memory']} · {g['compute_capability']} · {g['driver']}")
            for i, g in enumerate(view["gpus"])]
    return [*view["rows"], *gpus, *view["versions"]]


def comparison(a, b, headline: Callable[[str, dict | None], dict], lab=None) -> dict:
    """Headline figures of two jobs with b - a and b / a, whether each difference is real or within noise
    (labs/noise.py: an interval on the ratio from the repeats, and each job's noise flag), and the parameters and
    system info that differ."""
    fa, fb = headline(a.lab, a.result), headline(b.lab, b.result)
    figures = []
    for name in [*fa, *(n for n in fb if n not in fa)]:
        va, vb = (fa.get(name) or (None, ""))[0], (fb.get(name) or (None, ""))[0]
        both = is_number(va) and is_number(vb)
        try:
            ratio = vb / va if both and va else None
        except OverflowError:  # an integer too large for a float, stored before the contract bounded them
            ratio = None
        figures.append({"label": name, "unit": (fa.get(name) or fb.get(name))[1], "a": va, "b": vb,
                        "diff": vb - va if both else None, "ratio": ratio,
                        "verdict": noise.difference_verdict(lab, a, b, name) if both else None})
    return {"figures": figures, "noise": [(job, noise.assess(lab, job.result)) for job in (a, b)],
            "params": _differing(param_rows(a.params)["rows"], param_rows(b.params)["rows"]),
            "system": _differing(_system_pairs(a.system_info), _system_pairs(b.system_info))}
