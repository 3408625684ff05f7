"""Benchmark of the serving lab's load generator: how far its TTFT and TPOT are from what a server
really did, against the fake OpenAI-compatible server of the test suite (tests/fake_openai_server.py,
in its own process) whose TTFT and ITL are configured numbers.

serving_client_error: the larger of |median TTFT - configured TTFT| / configured TTFT and
|median TPOT - configured ITL| / configured ITL, at concurrency 1 and 2 (under the server's capacity,
so nothing queues); the worst level counts. Goal: at most 0.02. What it measures is the client's own
overhead (HTTP, SSE parsing, event-loop scheduling) on top of the server's timing.

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
    return {"serving_client_error": error, "goal": GOAL, "met": error <= GOAL,
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
    print(json.dumps(figures, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
