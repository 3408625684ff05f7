"""The kernel lab on the site: the problems a learner reads before submitting (content/labs/kernels: statement,
signatures, starter files, reference steps), and what a result becomes on the job page (verdict with the first
bad element, GFLOP/s and share of the library per size, the measured roofline with the kernel's points)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from labs.charts import is_number, line_chart, num
from labs.kinds import Lab
from labs.stages import code, name, note_text, status_text

PROBLEMS_DIR = Path(settings.BASE_DIR) / "content" / "labs" / "kernels"


@functools.lru_cache(maxsize=1)
def _problems() -> list[dict[str, Any]]:
    data = yaml.safe_load((PROBLEMS_DIR / "problems.yaml").read_text(encoding="utf-8"))
    out = []
    for p in data["problems"]:
        files = {key: (PROBLEMS_DIR / p[key]).read_text(encoding="utf-8") for key in ("starter_cpu", "starter_cuda")}
        steps = [{**s, "source": (PROBLEMS_DIR / s["file"]).read_text(encoding="utf-8")} for s in p["steps"]]
        out.append({**p, **files, "steps": steps})
    return out


def intro() -> list[dict[str, Any]]:
    """The problems in the reader's language: title, statement (Markdown), both signatures, both starters and the
    reference steps (shown folded, to read after trying)."""
    en = (get_language() or "").startswith("en")

    def pick(d: dict, key: str) -> str:
        return d.get(f"{key}_en") if en and d.get(f"{key}_en") else d[key]

    return [{"slug": p["slug"], "title": pick(p, "title"), "statement": pick(p, "statement"),
             "signature_cpu": p["signature_cpu"], "signature_cuda": p["signature_cuda"],
             "starter_cpu": p["starter_cpu"], "starter_cuda": p["starter_cuda"],
             "steps": [{"title": pick(s, "title"), "file": s["file"], "source": s["source"]} for s in p["steps"]]}
            for p in _problems()]


def _size(dims: list) -> str:
    return "×".join(str(d) for d in dims or [])


def _pct(value: Any) -> str:
    return num(value, "{:.1%}") if is_number(value) else "—"


def view(result: dict) -> dict:
    status, problem = result.get("status"), result.get("problem")
    sizes = result.get("sizes") or []
    rows = [[_size(e.get("dims")), _status(e.get("status")), num((e.get("time_s") or {}).get("median"), "{:.3g}"),
             num(e.get("gflop_s"), "{:.2f}"), num((e.get("library") or {}).get("gflop_s"), "{:.2f}"),
             _pct(e.get("share_of_library")), _pct(e.get("share_of_bound")), num(e.get("intensity"), "{:.2f}"),
             num(e.get("max_error"), "{:.3f}")] for e in sizes]
    statements = [format_html("{}{}{}", _status(status), _("："), note_text(result.get("message", "")))]
    bad = next((e for e in sizes if e.get("first_bad")), None)
    if bad:
        b = bad["first_bad"]
        statements.append(format_html(_("第一个出错的元素：尺寸 {size}，第 {run} 次运行，{where} = {got}，应为 {exp}"),
                                      size=_size(bad["dims"]), run=b["run"], where=code(f"[{b['row']}][{b['col']}]"),
                                      got=code(b["got"]), exp=code(b["expected"])))
    compile_report = result.get("compile") or {}
    if compile_report.get("command"):
        statements.append(format_html(_("编译命令：{cmd}"), cmd=code(compile_report["command"])))
    if status == "CE" and compile_report.get("message"):
        statements.append(code(compile_report["message"][:2000]))
    roof = result.get("roofline") or {}
    copy = roof.get("copy") or {}
    if is_number(copy.get("gb_s")) and is_number(roof.get("peak_gflop_s")):
        statements.append(format_html(_("这台机器的实测 roofline：拷贝带宽 {bw} GB/s（{stream}），"
                                        "计算峰值 {peak} GFLOP/s（本任务里库的最佳 GEMM），"
                                        "拐点算术强度 {ridge} FLOP/B。"),
                                      bw=num(copy["gb_s"]), stream=name("STREAM Copy"), peak=num(roof["peak_gflop_s"]),
                                      ridge=num(roof.get("ridge_intensity"))))
    machine = result.get("machine") or {}
    notes = [str(n) for n in result.get("notes") or []]
    if machine:
        notes.append(format_html(_("机器：{cpu}，{threads} 个线程，末级缓存 {llc} MiB；每次运行前改写 {flush} MiB。"),
                                 cpu=name(machine.get("gpu") or machine.get("cpu")), threads=machine.get("threads"),
                                 llc=num((machine.get("llc_bytes") or 0) / 2**20, "{:.0f}"),
                                 flush=num((machine.get("flush_bytes") or 0) / 2**20, "{:.0f}")))
    return {"headers": [_("尺寸"), _("状态"), _("中位数 s"), "GFLOP/s", _("库 GFLOP/s"), _("占库的比例"),
                        _("占上限的比例"),
                        "FLOP/B", _("最大误差（容差 = 1）")] if rows else [],
            "rows": rows, "charts": [], "statements": statements, "notes": notes,
            "lines": _roofline_lines(result, problem)}


def _roofline_lines(result: dict, problem: str | None) -> list[dict]:
    roof = result.get("roofline") or {}
    points = roof.get("points") or []
    bw, peak = (roof.get("copy") or {}).get("gb_s"), roof.get("peak_gflop_s")
    if not points:
        return []
    datasets = []
    if is_number(bw) and is_number(peak):
        intensities = [p["intensity"] for p in points] + [peak / bw]
        lo, hi = min(intensities) / 4, max(intensities) * 4
        datasets.append({"label": _("实测 roofline"), "points": [[lo, lo * bw], [peak / bw, peak], [hi, peak]]})
        sheet = roof.get("datasheet") or {}
        if is_number(sheet.get("gb_per_s")) and is_number(sheet.get("gflop_s")):
            ridge = sheet["gflop_s"] / sheet["gb_per_s"]
            datasets.append({"label": _("数据手册"), "reference": True,
                             "points": [[lo, lo * sheet["gb_per_s"]], [ridge, sheet["gflop_s"]],
                                        [max(hi, ridge * 4), sheet["gflop_s"]]]})
    for who, label in (("kernel", _("你的内核")), ("library", _("库"))):
        datasets.append({"label": label, "scatter": True,
                         "points": [[p["intensity"], p["gflop_s"]] for p in points if p.get("who") == who]})
    ok = [e for e in result.get("sizes") or [] if e.get("status") == "ok"]
    flop = (lambda e: 2 * e["dims"][0] * e["dims"][1] * e["dims"][2] / 1e9) if problem == "gemm" else \
        (lambda e: e["dims"][0] * e["dims"][1] / 1e6)
    x = _("每次调用的 GFLOP") if problem == "gemm" else _("百万个元素")
    by_size = [{"label": _("你的内核"), "points": sorted([flop(e), e.get("gflop_s")] for e in ok)},
               {"label": _("库"), "points": sorted([flop(e), (e.get("library") or {}).get("gflop_s")] for e in ok)}]
    return [line_chart(_("Roofline（对数坐标）"), "FLOP/byte", "GFLOP/s", datasets, log_x=True, log_y=True,
                  definition=_("算术强度 = 每次调用的运算数 / 必须搬运的字节数（输入读一次、输出写一次）；"
                               "上限 = 计算峰值与“强度 × 拷贝带宽”中较小的一个。")),
            line_chart(_("GFLOP/s 与尺寸"), x, "GFLOP/s", by_size, log_x=True,
                  definition=_("每个尺寸的中位数时间；库在同一任务里用同样的方法计时。"))]


def headline(result: dict) -> dict[str, tuple[float, str]]:
    """At the largest size judged correct: the kernel's GFLOP/s and its share of the library."""
    if result.get("status") != "ok":
        return {}
    ok = [e for e in result.get("sizes") or [] if e.get("status") == "ok" and is_number(e.get("gflop_s"))]
    if not ok:
        return {}
    last = ok[-1]
    out = {"GFLOP/s": (last["gflop_s"], "GFLOP/s")}
    if is_number(last.get("share_of_library")):
        out[_("占库的比例")] = (round(100 * last["share_of_library"], 2), "%")
    return out


def evidence(result: dict) -> str:
    figures = headline(result)
    what = format_html(_("{problem}（{target}）"), problem=code(result.get("problem")),
                       target=str(result.get("target") or "").upper())
    if not figures:
        return format_html("{}{}{}", what, _("："), _status(result.get("status")))
    share = figures.get(_("占库的比例"))
    return format_html("{}{}{} GFLOP/s{}", what, _("："), f"{figures['GFLOP/s'][0]:.1f}",
                       _("，是库的 %(share).0f%%") % {"share": share[0]} if share else "")


def _status(status: str | None) -> str:
    """A verdict (ok, WA, RE, TLE, CE) as the judge names it; a size that did not run in the learner's language."""
    return status_text(status) if status in ("skipped", "unsupported", "error", "cancelled") else str(status or "")


KIND = Lab(
    slug="kernels",
    title=gettext_lazy("GEMM 与 softmax 内核"),
    subtitle=gettext_lazy("你自己的 GEMM 和 softmax：C++ 对比 OpenBLAS、CUDA 对比 cuBLAS，"
                          "新输入校验、冷缓存计时、放到实测 roofline 上"),
    skills=("cpp-cuda",),
    summarise=view, headline=headline, evidence=evidence,
    labels={"problem": gettext_lazy("题目"),
            "target": gettext_lazy("目标（cpu：g++ -O3 -march=native -fopenmp；cuda：nvcc）"),
            "source": gettext_lazy("源码（一个文件，按题目给的签名导出 extern \"C\" 函数）"),
            "sizes": gettext_lazy("尺寸（每行一个：GEMM 为 M N K，softmax 为 rows cols；留空用默认集合）"),
            "threads": gettext_lazy("线程数（留空用 runner 的全部 CPU）"),
            "library": gettext_lazy("同时测库（OpenBLAS / cuBLAS）")},
    intro=intro,
)
