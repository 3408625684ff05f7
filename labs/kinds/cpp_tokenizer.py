"""cpp-tokenizer on the site: parity document by document, speed against tiktoken, or why the check did not run."""

from __future__ import annotations

import re

from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from labcontract.labs import cpp_tokenizer as cpp_contract
from labs.charts import bar_chart, is_number
from labs.kinds import Lab, rule
from labs.stages import code

CHECK_NOT_RUN = {
    "CE": gettext_lazy("编译失败"),
    "REJECTED": gettext_lazy("提交被拒绝"),
    "UNAVAILABLE": gettext_lazy("runner 上无法运行检查（没有沙箱）"),
}


def cpp_view(result: dict) -> dict:
    rows = [
        [code(d.get("name")), "✓" if d.get("match") else "✗", d.get("reference_tokens"), d.get("candidate_tokens")]
        for d in result.get("documents", [])
    ]
    # The runner posts the speed figures under "throughput" (gpu_runner.labs.cpp_tokenizer.check.measure_throughput).
    speed = result.get("throughput") or {}
    charts = []
    if speed.get("candidate_mb_s"):
        charts.append(
            bar_chart(gettext("分词速度"), [(gettext("你的分词器"), speed.get("candidate_mb_s")),
                                            ("tiktoken", speed.get("tiktoken_mb_s"))], "MB/s")
        )
    status = result.get("status")
    compile_report = result.get("compile") or {}
    return {
        "headers": [gettext("文档"), gettext("一致"), gettext("参考 token 数"), gettext("你的 token 数")]
        if rows else [],
        "rows": rows,
        "charts": charts,
        "status": status,
        # CE / REJECTED / UNAVAILABLE: the tokenizer never ran, so there is no parity to show, only why.
        "check_failed": CHECK_NOT_RUN.get(status, "") if status else "",
        "missing_headers": cpp_contract.missing_headers(result.get("message", "")) if status == "CE" else [],
        "compile_command": compile_report.get("command", ""),
        "rate": result.get("exact_match_rate"),
        "first_mismatch": result.get("first_mismatch"),
        "message": result.get("message", ""),
        "speed": speed,
        "invalid_utf8": result.get("invalid_utf8") if isinstance(result.get("invalid_utf8"), dict) else None,
        "parity_failed": is_number(result.get("exact_match_rate")) and result["exact_match_rate"] < 1,
        "documents_matched": result.get("documents_matched"), "documents_total": result.get("documents_total"),
        "source_files": result.get("source_files") or [],
    }


def cpp_evidence(result: dict) -> str:
    speed = (result.get("throughput") or {}).get("ratio")
    rate = result.get("exact_match_rate")
    parity = gettext("一致率 %(rate)s") % {"rate": f"{rate:.0%}" if is_number(rate) else "—"}
    return parity + (gettext("，速度是 tiktoken 的 %(ratio).2f 倍") % {"ratio": speed} if is_number(speed) else "")


def cpp_headline(result: dict) -> dict[str, tuple[float, str]]:
    """The exact-match rate, and the candidate's MB/s once it is measured."""
    out: dict[str, tuple[float, str]] = {}
    if is_number(result.get("exact_match_rate")):
        out[gettext("完全一致率")] = (round(100 * result["exact_match_rate"], 2), "%")
    mb_s = (result.get("throughput") or {}).get("candidate_mb_s")
    if is_number(mb_s):
        out[gettext("速度")] = (mb_s, "MB/s")
    return out


def cpp_explain(result: dict) -> list[dict]:
    """What to notice: a build that failed (its first error), documents that do not match the reference, the
    invalid-UTF-8 contract (exit code 2) kept or broken, and the speed against tiktoken once parity holds."""
    rules = _compile_rules(result)
    total, matched = result.get("documents_total"), result.get("documents_matched")
    if is_number(total) and is_number(matched) and total and matched < total:
        first = (result.get("first_mismatch") or {}).get("document") or ""
        rules.append(rule("parity-failed", gettext(
            "只有 %(m)s/%(t)s 个文档的 token 与参考一致（第一个不一致：%(doc)s）：常见原因是预分词正则"
            "（数字、空白、非拉丁文字的切分）、合并的优先级顺序，或没有先做 NFC 规范化。") % {
                "m": matched, "t": total, "doc": first or "—"}, "bpe-tokenizer", "c"))
    check = result.get("invalid_utf8")
    if isinstance(check, dict) and check.get("ok") is False:
        rules.append(rule("invalid-utf8-contract", gettext(
            "输入不是合法的 UTF-8 时，程序应该在 stderr 说明并以退出码 2 结束（契约）；这次的退出码是 %(rc)s。"
            "部署时 tokenizer 会收到任意字节，悄悄输出错误的 token 比报错更糟。") % {"rc": check.get("returncode")},
            "bpe-tokenizer", "c"))
    elif isinstance(check, dict) and check.get("ok") is True:
        rules.append(rule("invalid-utf8-rejected", format_html(gettext(
            "非法 UTF-8 输入被拒绝了（退出码 {rc}，{err}：{stderr}），符合契约：服务里的分词器会收到任意字节，"
            "报错并指出位置，调用方才知道输入坏了，而不是拿到一串看似正常、其实是乱码的 token。"),
            rc=check.get("returncode"), err=code("stderr"), stderr=code((check.get("stderr") or "—").strip()[:120])),
            "bpe-tokenizer", "c"))
    rules += _speed_rules(result)
    return rules


def _compile_rules(result: dict) -> list[dict]:
    """A build that failed: the compiler's first error, which the rest usually follow from."""
    if result.get("status") != "CE":
        return []
    message = (result.get("compile") or {}).get("message") or result.get("message") or ""
    first = next((line.strip() for line in message.splitlines() if re.search(r"\b(?:fatal )?error\b", line)),
                 message.strip().splitlines()[0] if message.strip() else "—")
    missing = cpp_contract.missing_headers(message)
    why = (format_html(gettext("你的头文件没有一起上传：把 {cpp} 和头文件打成一个压缩包（{archive}）提交。"),
                       cpp=code(".cpp"), archive=code(".tar.gz / .zip")) if missing
           else gettext("后面的错误常常只是它的连锁反应，先修这一条再重新提交。"))
    return [rule("compile-error", format_html(gettext(
        "编译没有通过，先读编译器的第一条错误：{first}。{why}"
        "实验页上的 I/O 契约和起始骨架给出程序要做什么，以及一个能编译的起点。"),
        first=code(first[:300]), why=why), "bpe-tokenizer", "c", form_section="contract")]


def _speed_rules(result: dict) -> list[dict]:
    """Speed against tiktoken (measured only when every document matched): what the ratio means and what would
    move it."""
    speed = result.get("throughput") or {}
    if result.get("exact_match_rate") != 1 or result.get("documents_matched") != result.get("documents_total"):
        return []  # fast wrong output means nothing (the runner measures speed only when every document matches)
    ratio, mine, theirs = speed.get("ratio"), speed.get("candidate_mb_s"), speed.get("tiktoken_mb_s")
    if not (is_number(ratio) and is_number(mine) and is_number(theirs)):
        return []
    libraries = (result.get("compile") or {}).get("regex_libraries") or []
    values = {"mine": f"{mine:.1f}", "theirs": f"{theirs:.1f}", "ratio": f"{ratio:.2f}",
              "libs": code(", ".join(libraries) or "—"), "regex": code("std::regex")}
    if ratio >= 1:
        text = gettext("你的分词器每秒编码 {mine} MB，tiktoken {theirs} MB，是它的 {ratio} 倍"
                       "（同样单线程、只计 CPU 时间，已扣掉进程启动和读词表，比的是每字节的编码开销）。"
                       "还想更快，看热点：预分词正则（这次链接了 {libs}，PCRE2 开 JIT 或 RE2 都比 {regex} 快得多）、"
                       "合并循环和一次写出的输出。")
    else:
        text = gettext("你的分词器每秒编码 {mine} MB，只有 tiktoken（{theirs} MB）的 {ratio} 倍"
                       "（同样单线程、只计 CPU 时间，已扣掉进程启动和读词表）：热点通常是预分词正则——"
                       "这次链接了 {libs}，PCRE2 开 JIT 或 RE2 都比 "
                       "{regex} 快得多——其次是每轮线性扫描的合并循环和逐个 id 刷新的输出。")
    return [rule("speed-vs-tiktoken", format_html(text, **values), "bpe-tokenizer", "c")]


KIND = Lab(
    slug="cpp-tokenizer",
    title=_("C++ Tokenizer 校验"),
    subtitle=_("编译你的 C++ Qwen tokenizer，与 tiktoken 逐文档比对并测速"),
    skills=("cpp-cuda",),
    summarise=cpp_view, headline=cpp_headline, evidence=cpp_evidence, explain=cpp_explain,
    upload=True,
    template="labs/kinds/cpp_tokenizer.html",
)
