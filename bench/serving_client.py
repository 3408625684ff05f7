"""Benchmark of the serving lab's load generator: how far its TTFT and TPOT are from what a server
really did, against the fake OpenAI-compatible server of the test suite (tests/fake_openai_server.py,
in its own process) whose TTFT and ITL are configured numbers.

serving_client_error: the larger of |median TTFT - configured TTFT| / configured TTFT and
|median TPOT - configured ITL| / configured ITL, at concurrency 1 and 2 (under the server's capacity,
so nothing queues); the worst level counts. Goal: at most 0.02. What it measures is the client's own
overhead (HTTP, SSE parsing, event-loop scheduling) on top of the server's timing.

clock (issue 18, item 5): at a 200 ms and a 50 ms first token (20 ms between tokens, one request at a time),
the lab's request function (loadgen.send_request on the lab's pooled client) and a raw-socket reference client
(bench/raw_sse_client.py: asyncio streams, the HTTP request framed by hand, the clock started right before the
write) take turns on the same fake server and event loop. Per delay: median TTFT of each (the lab's both as
vLLM bench serve defines it and from the request's first byte), its error against the configured delay, the
lab's client overhead and connections, and lab_vs_raw = (lab TTFT from the first byte - raw TTFT) / raw TTFT,
goal |lab_vs_raw| <= 0.01 (lab_vllm_vs_raw: the same for vLLM's definition, which includes the overhead).

    python bench/serving_client.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

TTFT_MS, ITL_MS, CAPACITY, TOKENS, REQUESTS = 400.0, 40.0, 4, 16, 12
GOAL = 0.02
CLOCK_DELAYS_MS, CLOCK_ITL_MS, CLOCK_TOKENS, CLOCK_PAIRS, CLOCK_GOAL = (200.0, 50.0), 20.0, 8, 40, 0.01


async def _clock_pairs(base: str, pairs: int) -> dict[str, list[float]]:
    """Lab and raw requests in turns (order swapped every pair) on one event loop; times in seconds."""
    import time

    from raw_sse_client import RawClient

    from gpu_runner.measure import loadgen

    work = loadgen.Workload(url=base + "/v1/chat/completions", model=None, prompts=["benchmark"],
                            max_tokens=CLOCK_TOKENS)
    out: dict[str, list[float]] = {k: [] for k in ("lab_ttft", "lab_ttft_first_byte", "lab_overhead", "lab_e2el",
                                                   "lab_tpot", "raw_ttft", "raw_e2el", "raw_tpot")}
    new_connections = 0
    async with loadgen.make_client(1) as client, RawClient(base) as raw:
        for i in range(3):  # warm-up, untimed: both connections open, both code paths run once
            await loadgen.send_request(client, work, 10**6 + i, time.perf_counter())
            await raw.request("/v1/chat/completions", loadgen._encoded(work, 10**6 + i))

        async def lab(i: int) -> None:
            nonlocal new_connections
            rec = await loadgen.send_request(client, work, i, time.perf_counter())
            if not rec.success:
                raise RuntimeError(rec.error)
            new_connections += bool(rec.new_connection)
            out["lab_ttft"].append(rec.ttft)
            out["lab_ttft_first_byte"].append(rec.ttft_first_byte)
            out["lab_overhead"].append(rec.overhead)
            out["lab_e2el"].append(rec.e2el)
            out["lab_tpot"].append(rec.tpot)

        async def ref(i: int) -> None:
            t = await raw.request("/v1/chat/completions", loadgen._encoded(work, i))
            out["raw_ttft"].append(t["ttft"])
            out["raw_e2el"].append(t["e2el"])
            out["raw_tpot"].append(t["tpot"])

        for i in range(pairs):
            for step in ((lab, ref) if i % 2 == 0 else (ref, lab)):
                await step(i)
    out["new_connections"] = [float(new_connections)]
    return out


def _p10(values: list[float]) -> float:
    import numpy as np

    return float(np.percentile(values, 10))


def _ratio_interval(lab: list[float], raw: list[float], draws: int = 2000) -> tuple[float, float]:
    """95 % bootstrap interval of (median lab - median raw) / median raw (seeded)."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = np.asarray(lab), np.asarray(raw)
    ma = np.median(rng.choice(a, (draws, a.size)), axis=1)
    mb = np.median(rng.choice(b, (draws, b.size)), axis=1)
    low, high = np.percentile((ma - mb) / mb, [2.5, 97.5])
    return float(low), float(high)


def measure_clock(pairs: int = CLOCK_PAIRS) -> list[dict[str, Any]]:
    import asyncio
    import statistics

    from fake_openai_server import running

    rows = []
    for delay in CLOCK_DELAYS_MS:
        with running(ttft_ms=delay, itl_ms=CLOCK_ITL_MS, capacity=CAPACITY) as base:
            t = asyncio.run(_clock_pairs(base, pairs))

        def med(key: str, t: dict[str, list[float]] = t) -> float:
            return statistics.median(t[key]) * 1000.0

        lab, lab_fb, raw = med("lab_ttft"), med("lab_ttft_first_byte"), med("raw_ttft")
        low, high = _ratio_interval(t["lab_ttft_first_byte"], t["raw_ttft"])
        rows.append({
            "configured_ttft_ms": delay, "configured_itl_ms": CLOCK_ITL_MS, "requests_each": pairs,
            "raw_ttft_ms_median": raw, "lab_ttft_ms_median": lab, "lab_ttft_first_byte_ms_median": lab_fb,
            "lab_client_overhead_ms_median": med("lab_overhead"),
            "lab_client_overhead_ms_mean": statistics.fmean(t["lab_overhead"]) * 1000.0,
            "lab_new_connections": int(t["new_connections"][0]),
            "ttft_error_raw": (raw - delay) / delay, "ttft_error_lab": (lab - delay) / delay,
            "ttft_error_lab_first_byte": (lab_fb - delay) / delay,
            "lab_vs_raw": (lab_fb - raw) / raw, "lab_vllm_vs_raw": (lab - raw) / raw,
            # On a busy machine one request's TTFT varies by several ms; these say how well the medians resolve.
            "lab_vs_raw_95ci": [low, high],
            "lab_vs_raw_p10": (_p10(t["lab_ttft_first_byte"]) - _p10(t["raw_ttft"])) / _p10(t["raw_ttft"]),
            "ttft_ms_p10": {"lab_first_byte": _p10(t["lab_ttft_first_byte"]) * 1000.0,
                            "raw": _p10(t["raw_ttft"]) * 1000.0},
            "tpot_ms_median": {"lab": med("lab_tpot"), "raw": med("raw_tpot")},
            "e2el_ms_median": {"lab": med("lab_e2el"), "raw": med("raw_e2el")},
            "met": abs((lab_fb - raw) / raw) <= CLOCK_GOAL,
        })
    return rows


def measure() -> dict[str, Any]:
    from fake_openai_server import running

    from gpu_runner.measure import loadgen

    with running(ttft_ms=TTFT_MS, itl_ms=ITL_MS, capacity=CAPACITY) as base:
        work = loadgen.Workload(url=base + "/v1/chat/completions", model=None, prompts=["benchmark"],
                                max_tokens=TOKENS)
        raw = loadgen.run_sweep(work, [{"concurrency": 1}, {"concurrency": 2}], duration_s=600,
                                max_requests=REQUESTS, warmup_requests=2)
    levels = []
    for level in (loadgen.summarize(r, {}) for r in raw):
        ttft, tpot = level["ttft_ms"]["median"], level["tpot_ms"]["median"]
        levels.append({"concurrency": level["concurrency"], "ttft_ms_median": ttft, "tpot_ms_median": tpot,
                       "e2el_ms_median": level["e2el_ms"]["median"],
                       "ttft_error": abs(ttft - TTFT_MS) / TTFT_MS, "tpot_error": abs(tpot - ITL_MS) / ITL_MS})
    error = max(max(lv["ttft_error"], lv["tpot_error"]) for lv in levels)
    clock = measure_clock()
    return {"serving_client_error": error, "goal": GOAL, "met": error <= GOAL,
            "clock": {"goal": CLOCK_GOAL, "met": all(row["met"] for row in clock), "delays": clock},
            "configured": {"ttft_ms": TTFT_MS, "itl_ms": ITL_MS, "capacity": CAPACITY, "output_tokens": TOKENS,
                           "requests_per_level": REQUESTS},
            "levels": levels,
            "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                        "cores": os.cpu_count(), "load_average_1m": os.getloadavg()[0]}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print only the JSON figures")
    args = ap.parse_args()
    figures = measure()
    if not args.json:
        print(__doc__)
        for lv in figures["levels"]:
            print(f"concurrency {lv['concurrency']}: TTFT median {lv['ttft_ms_median']:.1f} ms (configured "
                  f"{TTFT_MS:.0f}), TPOT median {lv['tpot_ms_median']:.2f} ms (configured {ITL_MS:.0f})")
        for row in figures["clock"]["delays"]:
            print(f"first token at {row['configured_ttft_ms']:.0f} ms: raw socket {row['raw_ttft_ms_median']:.2f} "
                  f"({row['ttft_error_raw']:+.2%}), lab as vLLM {row['lab_ttft_ms_median']:.2f} "
                  f"({row['ttft_error_lab']:+.2%}), lab from first byte {row['lab_ttft_first_byte_ms_median']:.2f} "
                  f"({row['ttft_error_lab_first_byte']:+.2%}); client overhead "
                  f"{row['lab_client_overhead_ms_median']:.2f} ms; lab vs raw {row['lab_vs_raw']:+.2%} "
                  f"[95% interval {row['lab_vs_raw_95ci'][0]:+.2%} .. {row['lab_vs_raw_95ci'][1]:+.2%}; p10 "
                  f"{row['lab_vs_raw_p10']:+.2%}] (vLLM definition {row['lab_vllm_vs_raw']:+.2%})")
    print(json.dumps(figures, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
