"""What every lab page is built from: numbers formatted for reading, bar and line charts for static/js/lab-charts.js,
reference tables, the runner's system info and the job's parameters as rows, GPU telemetry lines and the history
chart of a lab's headline figures. Lab-specific views live in labs/kinds/<lab>.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

MB = 1024 * 1024


def num(value: Any, fmt: str = "{:.2f}") -> str:
    """A number as text, "—" for anything else. Never raises on a stored number no runner should have sent (a
    400-digit integer overflows a float; str() of one over 4,300 digits raises): a page must not fail on one."""
    if not isinstance(value, (int, float)):
        return "—"
    try:
        return fmt.format(value)
    except (OverflowError, ValueError):
        return "—"


def sci(value: Any, digits: int = 2) -> str:
    """A number that may be tiny or huge as a reader writes it: 3.1 × 10⁻⁵ (superscript exponent), not 3.1e-05."""
    shown = num(value, f"{{:.{digits}e}}")
    if "e" not in shown:
        return shown
    mantissa, exponent = shown.split("e")
    exponent = int(exponent)
    if -3 <= exponent <= 3:
        return num(value, f"{{:.{digits + 1}g}}")
    return format_html("{} × 10<sup>{}</sup>", mantissa, str(exponent).replace("-", "−"))


def text(value: Any) -> str:
    """str() that cannot fail on an integer too long to print (kept from before the contract bounded them)."""
    try:
        return str(value)
    except ValueError:
        return "—"


def bar_chart(title: str, items: list[tuple[str, float | None]], unit: str) -> dict:
    values = [v for _, v in items if isinstance(v, (int, float))]
    top = max(values) if values else 0
    return {
        "title": title,
        "unit": unit,
        "bars": [
            {
                "label": label,
                "value": num(v),
                "pct": _pct(v, top),
            }
            for label, v in items
        ],
    }


def _pct(value: Any, top: Any) -> int:
    try:
        return round(100 * value / top) if top and isinstance(value, (int, float)) else 0
    except (OverflowError, ValueError, ZeroDivisionError):
        return 0


def unknown_view(result: dict | None) -> dict:
    """A lab this site does not know (a job imported from a newer site): its raw JSON, never a 500."""
    return {"headers": [], "rows": [], "charts": [], "tables": [], "lines": [], "heatmaps": [], "known": False,
            "raw": json.dumps(result, indent=2, ensure_ascii=False, sort_keys=True) if result is not None else ""}


def gib(value: Any) -> str:
    try:
        return f"{value / 1024**3:.1f} GiB" if is_number(value) and value > 0 else "—"
    except (OverflowError, ValueError):  # a 400-digit size stored before check_storable bounded integers
        return "—"


def system_rows(info: dict | None) -> dict:
    """Runner system info (labcontract.CAPABILITIES plus hostname and queue) as label/value rows, one row per
    CUDA device, and the library versions; keys this code does not know are listed as they are."""
    info = dict(info or {})
    cpu = info.pop("cpu", None) or {}
    rows: list[tuple[str, str]] = []
    if isinstance(cpu, dict) and cpu:
        cores = cpu.get("cores")
        rows.append((str(gettext_lazy("CPU")), plain(cpu.get("model")) + (f" · {text(cores)} cores" if cores else "")))
    if "ram_bytes" in info:
        rows.append((str(gettext_lazy("内存（RAM）")), gib(info.pop("ram_bytes"))))
    for key, label in (("hostname", gettext_lazy("主机名")), ("queue", gettext_lazy("队列"))):
        if info.get(key):
            rows.append((str(label), plain(info.pop(key))))
        info.pop(key, None)
    queues = info.pop("queues", None)
    if queues:
        rows.append((str(gettext_lazy("可消费的队列")), plain(queues)))
    gpus = [
        {"name": plain(d.get("name")), "memory": gib(d.get("memory_bytes")),
         "compute_capability": plain(d.get("compute_capability")), "driver": plain(d.get("driver"))}
        for d in (info.pop("cuda_devices", None) or []) if isinstance(d, dict)
    ]
    versions = info.pop("versions", None) or {}
    versions = sorted((str(k), plain(v)) for k, v in versions.items()) \
        if isinstance(versions, dict) else []
    rows.extend((str(k), plain(v)) for k, v in sorted(info.items()))
    return {"rows": rows, "gpus": gpus, "versions": versions}


def plain(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value) if value else "—"
    if isinstance(value, dict):
        try:
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError):  # an integer too long to print, somewhere inside
            return "—"
    return "—" if value is None or value == "" else text(value)


def param_rows(params: dict | None) -> dict:
    """Job parameters as key/value rows; submitted source files come apart, to be shown as code."""
    params = dict(params or {})
    files = params.pop("files", None)
    sources = [{"name": name, "text": text, "bytes": len(text.encode("utf-8"))}
               for name, text in sorted(files.items())] if isinstance(files, dict) else []
    archive = params.pop("archive_b64", None)
    rows = [(str(k), plain(v)) for k, v in params.items()]
    if isinstance(archive, str):
        rows.append((str(gettext_lazy("压缩包")), f"{len(archive) * 3 // 4:,} bytes (base64)"))
    return {"rows": rows, "sources": sources}


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def history_chart(headline: Callable[[dict], dict], jobs) -> dict | None:
    """A line chart of the headline figures over the given jobs (oldest first): one point per job, one line
    per series; None when fewer than two jobs have a figure (a single point is no comparison)."""
    points = [(job, headline(job.result or {})) for job in jobs]
    points = [(job, figures) for job, figures in points if figures]
    if len(points) < 2:
        return None
    names: list[str] = []
    for _, figures in points:
        names.extend(n for n in figures if n not in names)
    units = {n: figures[n][1] for _, figures in points for n in figures}
    return {
        "labels": [f"#{job.pk} {timezone.localtime(job.created_at):%m-%d %H:%M}" for job, _ in points],
        "ids": [job.pk for job, _ in points],
        "datasets": [{"label": n, "unit": units[n],
                      "data": [figures[n][0] if n in figures else None for _, figures in points]} for n in names],
    }


def stat(stats: Any, key: str, fmt: str = "{:.1f}") -> str:
    return num(stats.get(key), fmt) if isinstance(stats, dict) else "—"


def line_chart(title: str, x: str, y: str, datasets: list[dict], *, definition: str = "", log_x: bool = False,
          log_y: bool = False, marks: list[dict] | None = None, source: str = "") -> dict:
    """A line chart for static/js/lab-charts.js: datasets of [x, y] points (reference ones drawn dashed), marks
    as vertical lines at an x, the definition its figures follow and the public source of any reference."""
    return {"title": title, "x": x, "y": y, "log_x": log_x, "log_y": log_y, "definition": definition,
            "source": source, "marks": marks or [],
            "datasets": [{"label": d["label"], "reference": bool(d.get("reference")), "scatter": bool(d.get("scatter")),
                          "points": [[px, py] for px, py in d["points"] if is_number(px) and is_number(py)]}
                         for d in datasets]}


def telemetry_lines(sources: list[tuple[str, dict]], when: str) -> list[dict]:
    """GPU utilisation, memory and power against time (NVML, gpu_runner/measure/nvml.py), one line per source."""
    ok = [(label, t["series"]) for label, t in sources
          if isinstance(t, dict) and t.get("status") == "ok" and isinstance(t.get("series"), dict)]
    if not ok:
        return []
    definition = gettext("NVML 采样（nvidia-ml-py）：利用率是采样周期内有 kernel 在运行的时间占比，"
                         "不是 SM 的使用比例。")
    out = []
    for key, title, unit, scale in (("util_pct", gettext("GPU 利用率"), "%", 1),
                                    ("mem_used_bytes", gettext("GPU 显存占用"), "MiB", 1 / MB),
                                    ("power_w", gettext("GPU 功率"), "W", 1)):
        datasets = [{"label": label, "points": [[t, v * scale if is_number(v) else None]
                                                for t, v in zip(series.get("t_s") or [], series.get(key) or [],
                                                                strict=False)]}
                    for label, series in ok]
        out.append(line_chart(f"{title}（{when}）", "t (s)", unit, datasets, definition=definition))
    return out


def reference_table(title: str, reference: dict, headers: list[str], rows: list[list]) -> dict:
    return {"title": title, "headers": headers, "rows": rows, "source": reference.get("source", ""),
            "setup": reference.get("setup") or reference.get("text") or ""}


def mib(value: Any) -> str:
    return num(is_number(value) and value / MB, "{:.1f} MiB")
