"""serving-bench on the site: latency and throughput against load, per engine, with the SLOs and saturation."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from labs import serving_words
from labs.charts import is_number, line_chart, num, stat
from labs.kinds import Lab, rule
from labs.stages import unmeasured as _unmeasured


def serving_view(result: dict) -> dict:
    """One row per engine and load level (vLLM bench serve's figures), each engine's charts as the runner drew
    their series, and in words where output tokens/s stopped rising and the highest load meeting the SLOs."""
    rows, lines, statements = [], [], []
    definitions = result.get("definitions") or {}
    for e in result.get("engines", []):
        if e.get("status") != "ok":
            rows.append([e.get("engine"), *_unmeasured(e), *[""] * 16])
            continue
        for lv in e.get("levels", []):
            load = f"{lv['request_rate']} req/s" if lv.get("request_rate") is not None else f"c={lv.get('concurrency')}"
            rows.append([e["engine"], "ok", load, f"{lv.get('completed', 0)}/{lv.get('requests', 0)}",
                         stat(lv.get("ttft_ms"), "median"), stat(lv.get("ttft_ms"), "p99"),
                         stat(lv.get("ttft_ms"), "mean"),
                         stat(lv.get("ttft_first_byte_ms"), "median"),
                         stat(lv.get("client_overhead_ms"), "median", "{:.2f}"),
                         _connections(lv),
                         stat(lv.get("tpot_ms"), "median"),
                         stat(lv.get("tpot_ms"), "mean"), stat(lv.get("itl_ms"), "p99"),
                         stat(lv.get("e2el_ms"), "median"), stat(lv.get("e2el_ms"), "mean"),
                         stat(lv.get("e2el_ms"), "p99"),
                         num(lv.get("output_throughput"), "{:.1f}"), num(lv.get("goodput")),
                         num(lv.get("slo_attainment") and lv["slo_attainment"] * 100, "{:.0f}%")])
        for key, chart in (e.get("charts") or {}).items():
            names = chart.get("definitions") or []
            title, x, y = serving_words.chart_words(key, chart)
            lines.append(line_chart(
                f"{e['engine']}: {title}", x, y,
                [{"label": s.get("name", ""), "points": s.get("points") or [],
                  "reference": str(s.get("name", "")).startswith("SLO line")} for s in chart.get("series", [])],
                definition=" ".join(serving_words.definition(n, definitions[n]) for n in names if n in definitions)))
        statements.extend(_serving_statements(e, result))
        statements.extend(_clock_statements(e))
    headers = [gettext("引擎"), gettext("状态"), gettext("负载"), gettext("完成数"), "TTFT p50 ms", "TTFT p99 ms",
               "TTFT mean ms", gettext("TTFT p50 ms（自请求首字节）"), gettext("客户端开销 p50 ms"),
               gettext("新建/复用连接"), "TPOT p50 ms", "TPOT mean ms", "ITL p99 ms", "E2EL p50 ms", "E2EL mean ms",
               "E2EL p99 ms", gettext("输出 tok/s"), "goodput req/s", gettext("SLO 达标率")]
    return {"headers": headers, "rows": rows, "charts": [], "lines": lines, "statements": statements}


def _connections(level: dict) -> str:
    new, reused = level.get("new_connections"), level.get("reused_connections")
    return f"{new}/{reused}" if isinstance(new, int) and isinstance(reused, int) else "—"


def _clock_statements(engine: dict) -> list[str]:
    """In words: how much of TTFT was the client's own overhead (its worst level), and how each rate level's
    sends really went out. Results from before the clock fields say nothing here."""
    out = []
    levels = [lv for lv in engine.get("levels", []) if isinstance(lv.get("client_overhead_ms"), dict)
              and isinstance(lv.get("ttft_ms"), dict) and is_number(lv["ttft_ms"].get("median"))]
    if levels:
        worst = max(levels, key=lambda lv: lv["client_overhead_ms"]["median"] / max(lv["ttft_ms"]["median"], 1e-9))
        over, ttft = worst["client_overhead_ms"]["median"], worst["ttft_ms"]["median"]
        load = (f"{worst['request_rate']} req/s" if worst.get("request_rate") is not None
                else f"c={worst.get('concurrency')}")
        out.append(gettext("%(engine)s：TTFT 按 vLLM bench serve 的定义从客户端调用前计时，其中客户端自身开销"
                           "（取连接、组请求）中位数最多 %(over)s ms，占 TTFT 的 %(share)s（%(load)s）；"
                           "从请求首字节写出计时的 TTFT 不含这部分。新建 TCP 连接 %(new)s 次，复用 %(reused)s 次。")
                   % {"engine": engine["engine"], "over": num(over, "{:.2f}"),
                      "share": num(over / ttft * 100 if ttft > 0 else None, "{:.1f}%"), "load": load,
                      "new": sum(lv.get("new_connections") or 0 for lv in levels),
                      "reused": sum(lv.get("reused_connections") or 0 for lv in levels)})
    for lv in engine.get("levels", []):
        if lv.get("mode") != "rate" or not is_number(lv.get("realised_request_rate")):
            continue
        out.append(gettext("%(engine)s：速率 %(rate)s req/s 这一级实际发出 %(real)s req/s，间隔的变异系数 %(cv)s"
                           "（泊松过程为 1），发送比计划晚的中位数 %(lag)s ms。")
                   % {"engine": engine["engine"], "rate": lv.get("request_rate"),
                      "real": num(lv["realised_request_rate"], "{:.2f}"), "cv": num(lv.get("arrival_gap_cv"), "{:.2f}"),
                      "lag": stat(lv.get("send_lag_ms"), "median")})
    return out


def _serving_statements(engine: dict, result: dict) -> list[str]:
    out = []
    for mode, sat in (engine.get("saturation") or {}).items():
        if not isinstance(sat, dict):
            continue
        if sat.get("found"):
            load = f"{sat['request_rate']} req/s" if mode == "rate" else f"c={sat.get('concurrency')}"
            out.append(gettext("%(engine)s 在 %(load)s 饱和：输出 %(tps)s tok/s，下一级只多 %(gain)s（阈值 %(thr)s）。")
                       % {"engine": engine["engine"], "load": load, "tps": num(sat.get("output_throughput"), "{:.1f}"),
                          "gain": num(sat.get("next_gain") and sat["next_gain"] * 100, "{:.1f}%"),
                          "thr": num(sat.get("threshold") and sat["threshold"] * 100, "{:.0f}%")})
        else:
            out.append(gettext("%(engine)s 在这次扫描中没有饱和点：%(reason)s。")
                       % {"engine": engine["engine"],
                          "reason": serving_words.saturation_reason(sat.get("reason", "—"))})
    slo = result.get("slo") or {}
    if not slo:
        return [*out, gettext("%(engine)s：没有设置 SLO，所以没有 goodput 目标。") % {"engine": engine["engine"]}]
    target = num(is_number(result.get("slo_target")) and result["slo_target"] * 100, "{:.0f}%")
    slos = ", ".join(f"{k.removesuffix('_ms').upper()} ≤ {v} ms" for k, v in slo.items())
    for key, unit in (("max_rate_meeting_slo", "req/s"), ("max_concurrency_meeting_slo", "")):
        mode = "rate" if "rate" in key else "concurrency"
        if mode not in (engine.get("saturation") or {}) and engine.get(key) is None:
            continue
        value = engine.get(key)
        load = (f"{value} req/s" if unit else f"c={value}") if value is not None else None
        out.append(gettext("%(engine)s：满足 SLO（%(slos)s）且达标率 ≥ %(target)s 的最高负载是 %(load)s。")
                   % {"engine": engine["engine"], "slos": slos, "target": target, "load": load}
                   if load else gettext("%(engine)s：没有一级负载在 SLO（%(slos)s）下达到 %(target)s 的达标率。")
                   % {"engine": engine["engine"], "slos": slos, "target": target})
    return out


def serving_headline(result: dict) -> dict[str, tuple[float, str]]:
    """The highest output tokens/s each engine reached over the sweep."""
    out = {}
    for e in result.get("engines", []):
        speeds = [lv["output_throughput"] for lv in e.get("levels", []) if is_number(lv.get("output_throughput"))]
        if e.get("status") == "ok" and speeds:
            out[e["engine"]] = (max(speeds), "tok/s")
    return out


def serving_evidence(result: dict) -> str:
    parts = []
    for e in result.get("engines", []):
        if e.get("status") != "ok":
            continue
        best = serving_headline({"engines": [e]}).get(e["engine"])
        slo = e.get("max_rate_meeting_slo")
        slo_c = e.get("max_concurrency_meeting_slo")
        load = f"{slo} req/s" if slo is not None else f"c={slo_c}" if slo_c else ""
        met = gettext("，满足 SLO 直到 %(load)s") % {"load": load} if load else ""
        parts.append(gettext("%(engine)s：输出峰值 %(tps).1f tok/s") % {"engine": e["engine"], "tps": best[0]} + met
                     if best else e["engine"])
    return "; ".join(parts)


def _levels(engine: dict) -> list[dict]:
    return [level for level in engine.get("levels", []) if is_number(level.get("output_throughput"))]


def serving_explain(result: dict) -> list[dict]:
    """What to notice: continuous batching slower than one-at-a-time on a CPU, requests queueing (TTFT rising
    while TPOT stays), a sweep that stopped before the server saturated."""
    ok = {e["engine"]: e for e in result.get("engines", []) if e.get("status") == "ok"}
    concurrency = (result.get("workload") or {}).get("concurrency") or []
    rules = []
    plain_levels, cb_levels = _levels(ok.get("transformers") or {}), _levels(ok.get("transformers-cb") or {})
    if plain_levels and cb_levels:
        top_plain = max(level["output_throughput"] for level in plain_levels)
        top_cb = max(level["output_throughput"] for level in cb_levels)
        if top_cb < 0.8 * top_plain:
            rules.append(rule("cb-slower-when-serving", gettext(
                "这里 transformers-cb（--continuous-batching）反而比逐个处理慢（最高 %(cb).0f 对 %(plain).0f "
                "output tok/s）：并发只有几个、输出很短时，连续批处理每一步的调度、分页 KV 缓存和线程间交接的开销"
                "大于合批省下的计算（CPU 上尤其如此）；批处理实验一次交给它全部请求，这里请求是一个个到达的。")
                % {"cb": top_cb, "plain": top_plain},
                "continuous-batching", "_2",
                {"concurrency": [1, 4, 8, 16], "output_tokens": 64, "engines": ["transformers", "transformers-cb"]}))
    for name, engine in ok.items():
        levels = [level for level in _levels(engine) if level.get("mode") == "concurrency"
                  and is_number((level.get("ttft_ms") or {}).get("median"))]
        if len(levels) >= 2:
            first, last = levels[0], levels[-1]
            ttft = (first["ttft_ms"]["median"], last["ttft_ms"]["median"])
            tpot = ((first.get("tpot_ms") or {}).get("median"), (last.get("tpot_ms") or {}).get("median"))
            if ttft[1] >= 2 * ttft[0] and is_number(tpot[0]) and is_number(tpot[1]) and tpot[1] < 1.5 * tpot[0]:
                rules.append(rule("ttft-queueing", gettext(
                    "%(engine)s：并发从 %(a)s 到 %(b)s，TTFT 中位数从 %(t1).0f ms 涨到 %(t2).0f ms，TPOT 却基本不变"
                    "（%(p1).1f → %(p2).1f ms）：新请求在排队等前面的请求，TTFT 包含排队时间，"
                    "而一旦开始生成，每个 token 的速度没变。") % {
                        "engine": name, "a": first.get("concurrency"), "b": last.get("concurrency"),
                        "t1": ttft[0], "t2": ttft[1], "p1": tpot[0], "p2": tpot[1]},
                    "measurement-methodology", "vllm",
                    {"engines": ["transformers", "transformers-cb"]} if "transformers-cb" not in ok else {}))
                break
    unsaturated = [name for name, e in ok.items()
                   if any(s.get("found") is False for s in (e.get("saturation") or {}).values())]
    if unsaturated and concurrency:
        top = max(concurrency)
        rules.append(rule("not-saturated", gettext(
            "%(engine)s 到最高并发 %(c)s 时输出吞吐仍在上升，还没到饱和点：服务还有余量，"
            "把并发加大到吞吐不再上升，才能看到它的容量。") % {"engine": unsaturated[0], "c": top},
            "measurement-methodology", "_3", {"concurrency": sorted({*concurrency, top * 2, top * 4})}))
    return rules

KIND = Lab(
    slug="serving-bench",
    title=_("推理服务压测"),
    subtitle=_("在 runner 上启动 OpenAI 兼容服务，按泊松到达或并发扫描负载：TTFT/TPOT/ITL、吞吐与 goodput"),
    skills=("api-serving", "inference-acceleration"),
    summarise=serving_view, headline=serving_headline, evidence=serving_evidence, explain=serving_explain,
    labels={"base_url": _("已在运行的服务地址，不含 /v1（如 http://127.0.0.1:8000；"
                          "只允许本机回环，留空则由 runner 启动）"),
            "served_model": _("服务里的模型名（留空用 model）"), "api": _("接口"),
            "prompt_tokens": _("每个请求的提示 token 数"), "output_tokens": _("每个请求的输出 token 数"),
            "ignore_eos": _("忽略 EOS（固定输出长度）"),
            "request_rates": _("请求速率（req/s，每行一个，泊松到达；inf = 一次全发）"),
            "concurrency": _("并发数（每行一个）"), "max_concurrency": _("速率扫描时的最大并发（留空不限）"),
            "duration_s": _("每级时长（秒）"), "max_requests_per_level": _("每级最多请求数"),
            "slo": _("SLO（毫秒）"), "slo_target": _("SLO 达标率目标（0–1）"),
            "saturation_threshold": _("饱和阈值（吞吐增幅低于此比例即饱和）"),
            "warmup_requests": _("预热请求数"), "server_timeout_s": _("服务启动超时（秒）"),
            "request_timeout_s": _("单个请求超时（秒）")},
)
