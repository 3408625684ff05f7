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
from labs.kinds import Lab, rule
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
    # Two significant figures at least: a naive kernel's 0.14 GFLOP/s and 0.37 % must not read as 0.1 and 0.
    return format_html("{}{}{} GFLOP/s{}", what, _("："), f"{figures['GFLOP/s'][0]:.3g}",
                       _("，是库的 %(share)s%%") % {"share": f"{share[0]:.0f}" if share[0] >= 10 else f"{share[0]:.2g}"}
                       if share else "")


def explain(result: dict) -> list[dict]:
    """What to notice: where the kernel sits on the measured roofline, how much of the library it reaches, a naive
    loop that falls behind as the matrices outgrow the cache, and a wrong answer with what the tolerance means."""
    if result.get("status") == "WA":
        return _wrong_answer(result)
    ok = [e for e in result.get("sizes") or [] if e.get("status") == "ok" and is_number(e.get("gflop_s"))]
    if result.get("status") != "ok" or not ok:
        return []
    return _roofline_rule(result, ok[-1]) + _library_rule(result, ok) + _naive_rule(result, ok)


def _roofline_rule(result: dict, last: dict) -> list[dict]:
    roof = result.get("roofline") or {}
    bw, peak, ridge = (roof.get("copy") or {}).get("gb_s"), roof.get("peak_gflop_s"), roof.get("ridge_intensity")
    if not all(is_number(v) for v in (bw, peak, ridge, last.get("intensity"), last.get("share_of_bound"))):
        return []
    values = {"size": _size(last["dims"]), "i": num(last["intensity"]), "ridge": num(ridge), "peak": num(peak),
              "bw": num(bw), "share": _pct(last["share_of_bound"]), "g": num(last["gflop_s"]),
              "bound": num(min(peak, last["intensity"] * bw))}
    if last["intensity"] >= ridge:
        text = _("尺寸 {size} 的算术强度是 {i} FLOP/B，高于这台机器的拐点 {ridge} FLOP/B"
                 "（峰值 {peak} GFLOP/s ÷ 拷贝带宽 {bw} GB/s），所以它受算力限制："
                 "上限是峰值 {peak} GFLOP/s，你的内核达到了 {share}（{g} GFLOP/s）；"
                 "比例低说明运算单元没喂饱（SIMD、数据复用），而不是内存太慢。")
    else:
        text = _("尺寸 {size} 的算术强度只有 {i} FLOP/B，低于这台机器的拐点 {ridge} FLOP/B"
                 "（峰值 {peak} GFLOP/s ÷ 拷贝带宽 {bw} GB/s），所以它受带宽限制："
                 "上限是强度 × 带宽 = {bound} GFLOP/s，你的内核达到了 {share}；"
                 "再快只能少搬字节（一次读完、不写中间结果），多算几条指令并不要紧。")
    return [rule("roofline-bound", format_html(text, **values), "cublas", "gemmroofline")]


def _library_name(result: dict) -> str:
    described = str((result.get("library") or {}).get(result.get("problem") or "") or "")
    return described.split()[0] if described else _("库")


def _library_rule(result: dict, ok: list[dict]) -> list[dict]:
    last = ok[-1]
    share = last.get("share_of_library")
    if not is_number(share):
        return []
    values = {"size": _size(last["dims"]), "g": num(last["gflop_s"]), "lib": name(_library_name(result)),
              "lg": num((last.get("library") or {}).get("gflop_s")), "share": _pct(share)}
    if share > 1.1:
        text = _("在最大的尺寸 {size} 上你的内核 {g} GFLOP/s，{lib} {lg} GFLOP/s：你是库的 {share}，比它快。"
                 "先确认两边比的是同一件事：同样的线程数、同样的数据类型，库没有被限制成单线程。")
    elif share >= 0.9:
        text = _("在最大的尺寸 {size} 上你的内核 {g} GFLOP/s，{lib} {lg} GFLOP/s：你达到了库的 {share}，已经和它相当。")
    else:
        text = _("在最大的尺寸 {size} 上你的内核 {g} GFLOP/s，{lib} {lg} GFLOP/s：你达到了库的 {share}。"
                 "剩下的差距来自库的打包（把块拷成连续、对齐的布局）、手写的 SIMD/FMA 微内核和多线程。")
    small = [e for e in ok[:-1] if is_number(e.get("share_of_library")) and e["share_of_library"] > 1.2]
    if small:
        text += _("小尺寸上超过库（{small} 是它的 {x} 倍）不算数：几十毫秒以内的调用里，库的线程启动和打包开销占大头，"
                  "计时也最容易被别的进程打扰。")
        values.update(small=_size(small[0]["dims"]), x=num(small[0]["share_of_library"]))
    threads = (result.get("library") or {}).get("threads") or (result.get("machine") or {}).get("threads")
    change = {"threads": 1} if isinstance(threads, int) and threads > 1 else {}
    return [rule("share-of-library", format_html(text, **values), "cublas", "gemmroofline", change)]


def _naive_rule(result: dict, ok: list[dict]) -> list[dict]:
    """A kernel whose GFLOP/s falls as the matrices grow while the library's rises: no reuse once B leaves the
    cache, which is what blocking fixes."""
    if result.get("problem") != "gemm" or len(ok) < 3:
        return []
    best, last = max(ok[:-1], key=lambda e: e["gflop_s"]), ok[-1]
    library = (last.get("library") or {}).get("gflop_s")
    if not (last["gflop_s"] < 0.5 * best["gflop_s"] and is_number(library) and library > best["gflop_s"]):
        return []
    return [rule("naive-gap", format_html(
        _("你的内核从 {bsize} 的 {best} GFLOP/s 掉到 {lsize} 的 {last} GFLOP/s，库却升到 {lib} GFLOP/s："
          "矩阵放不进缓存以后，朴素循环让 A 的每一行都把 B 从内存重读一遍，数据几乎没有复用；"
          "分块把 A、B 的小块留在缓存里反复用，"
          "实验页上的参考步骤（循环次序 → 分块 → 多线程）一步一步给出每一步带来多少。"),
        bsize=_size(best["dims"]), best=num(best["gflop_s"]), lsize=_size(last["dims"]), last=num(last["gflop_s"]),
        lib=num(library)), "cublas", "gemmroofline", form_section="problem-gemm")]


def _wrong_answer(result: dict) -> list[dict]:
    bad = next((e for e in result.get("sizes") or [] if e.get("first_bad")), None)
    if bad is None:
        return []
    b = bad["first_bad"]
    values = {"size": _size(bad["dims"]), "run": b.get("run"), "where": code(f"[{b.get('row')}][{b.get('col')}]"),
              "got": code(b.get("got")), "exp": code(b.get("expected")),
              "allowed": code(num(b.get("allowed_abs_error"), "{:.3g}"))}
    if str(b.get("got")).lower() in ("nan", "inf", "-inf"):
        why = (_("这道题里出现 NaN 多半是 e 的指数溢出：float32 里 x 超过 88.7 时 e^x 已是无穷大，无穷大相除得 NaN；"
                 "先减去这一行的最大值再取指数，结果在数学上不变。") if result.get("problem") == "softmax"
               else _("NaN 和无穷大永远算错，多半是读了没初始化或越界的内存。"))
    else:
        why = _("容差按舍入误差的上界给（换求和顺序只会差在最后几位），超出它就不是舍入能解释的：多半是下标或边界，"
                "尺寸不是块大小整数倍时的尾部最容易错。")
    text = format_html(_("答案不对：尺寸 {size} 第 {run} 次运行，{where} 得到 {got}，"
                         "应为 {exp}（允许的误差 {allowed}）。"), **values)
    return [rule("wrong-answer", format_html("{}{}", text, why), "cublas", "nan", {"sizes": [bad["dims"]]})]


def _status(status: str | None) -> str:
    """A verdict (ok, WA, RE, TLE, CE) as the judge names it; a size that did not run in the learner's language."""
    return status_text(status) if status in ("skipped", "unsupported", "error", "cancelled") else str(status or "")


KIND = Lab(
    slug="kernels",
    title=gettext_lazy("GEMM 与 softmax 内核"),
    subtitle=gettext_lazy("你自己的 GEMM 和 softmax：C++ 对比 OpenBLAS、CUDA 对比 cuBLAS，"
                          "新输入校验、冷缓存计时、放到实测 roofline 上"),
    skills=("cpp-cuda",),
    summarise=view, headline=headline, evidence=evidence, explain=explain,
    labels={"problem": gettext_lazy("题目"),
            "target": gettext_lazy("目标（cpu：g++ -O3 -march=native -fopenmp；cuda：nvcc）"),
            "source": gettext_lazy("源码（一个文件，按题目给的签名导出 extern \"C\" 函数）"),
            "sizes": gettext_lazy("尺寸（每行一个：GEMM 为 M N K，softmax 为 rows cols；留空用默认集合）"),
            "threads": gettext_lazy("线程数（留空用 runner 的全部 CPU）"),
            "library": gettext_lazy("同时测库（OpenBLAS / cuBLAS）")},
    intro=intro,
)
