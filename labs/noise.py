"""Is a run's timing to be trusted? The rules that flag a noisy run, the spread of each timed figure over its
repeats, and whether the difference between two jobs is real or within noise.

Rules (thresholds named here, shown on the pages):
- other processes took >= NOISY_OTHER_CPU_SHARE (10 %) of the machine's CPU time during the job (the runner's
  "noise" record, gpu_runner/measure/noise.py): on a CPU lab that is time the job's threads waited for;
- a headline figure varied over its repeats with a coefficient of variation >= NOISY_CV (10 %), given at least
  MIN_REPEATS_FOR_CV (3) repeats;
- the GPU ended the job clock-throttled for a reason other than idling or an application clock setting.
Two jobs differ for real when the interval on the ratio of a figure, from the slowest and fastest repeats of each
(min(b)/max(a) .. max(b)/min(a)), excludes 1 and neither job is noisy; within noise when it includes 1; not to be
trusted when either job is noisy; undecidable without repeats.
"""

from __future__ import annotations

import statistics

from django.utils.translation import gettext as _

from labs.charts import is_number

NOISY_OTHER_CPU_SHARE = 0.10
NOISY_CV = 0.10
MIN_REPEATS_FOR_CV = 3
BENIGN_THROTTLE = {"GpuIdle", "ApplicationsClocksSetting", "None"}


def spread(values: list[float]) -> dict | None:
    """{"n", "min", "median", "max", "cv"} of the repeats (cv: population stdev / mean), or None for no values."""
    values = [v for v in values if is_number(v)]
    if not values:
        return None
    mean = statistics.fmean(values)
    cv = statistics.pstdev(values) / mean if len(values) > 1 and mean else None
    return {"n": len(values), "min": min(values), "median": statistics.median(values), "max": max(values), "cv": cv}


def repeats_of(lab, result: dict | None) -> dict[str, list[float]]:
    """Each headline figure's per-repeat values, where the lab reports them."""
    if lab is None or lab.repeats is None or not result:
        return {}
    return {k: [v for v in vs if is_number(v)] for k, vs in lab.repeats(result).items() if vs}


def assess(lab, result: dict | None) -> dict:
    """{"noisy", "reasons": [str], "machine": the runner's noise record | None, "spreads": [{"label", ...}]}."""
    result = result or {}
    reasons, machine = [], result.get("noise") if isinstance(result.get("noise"), dict) else None
    if machine and is_number(machine.get("other_cpu_share")) and machine["other_cpu_share"] >= NOISY_OTHER_CPU_SHARE:
        top = ", ".join(f"{p['name']} {p['cpu_s']:.1f} s" for p in machine.get("top_others") or [])
        reasons.append(_("其他进程占用了这台机器 %(pct).0f%% 的 CPU 时间（%(s).1f 秒，阈值 %(limit).0f%%）%(top)s")
                       % {"pct": 100 * machine["other_cpu_share"], "s": machine.get("other_cpu_s") or 0,
                          "limit": 100 * NOISY_OTHER_CPU_SHARE,
                          "top": _("；最忙的：%(top)s") % {"top": top} if top else ""})
    for gpu in ((machine or {}).get("gpu") or {}).get("end") or []:
        bad = [r for r in gpu.get("throttle_reasons") or [] if r not in BENIGN_THROTTLE]
        if bad:
            reasons.append(_("GPU 在任务结束时降频：%(why)s（SM %(now)s / %(max)s MHz）")
                           % {"why": ", ".join(bad), "now": gpu.get("sm_clock_mhz"),
                              "max": gpu.get("sm_clock_max_mhz")})
    spreads = []
    for label, values in repeats_of(lab, result).items():
        s = spread(values)
        if s is None:
            continue
        spreads.append({"label": label, **s})
        if s["n"] >= MIN_REPEATS_FOR_CV and s["cv"] is not None and s["cv"] >= NOISY_CV:
            reasons.append(_("%(label)s 在 %(n)s 次重复间的变异系数为 %(cv).0f%%（阈值 %(limit).0f%%）")
                           % {"label": label, "n": s["n"], "cv": 100 * s["cv"], "limit": 100 * NOISY_CV})
    return {"noisy": bool(reasons), "reasons": reasons, "machine": machine, "spreads": spreads}


def is_noisy(lab, result: dict | None) -> bool:
    return assess(lab, result)["noisy"]


def ratio_interval(a: list[float], b: list[float]) -> tuple[float, float] | None:
    """min(b)/max(a) .. max(b)/min(a): every ratio the repeats allow; None without two repeats on each side."""
    a, b = [v for v in a if is_number(v) and v > 0], [v for v in b if is_number(v) and v > 0]
    if len(a) < 2 or len(b) < 2:
        return None
    return min(b) / max(a), max(b) / min(a)


def difference_verdict(lab, job_a, job_b, label: str) -> dict:
    """{"verdict": "real" | "noise" | "untrusted" | "unknown", "interval": (lo, hi) | None, "words": str}."""
    noisy = [job for job in (job_a, job_b) if is_noisy(lab, job.result)]
    runs_a, runs_b = repeats_of(lab, job_a.result).get(label, []), repeats_of(lab, job_b.result).get(label, [])
    interval = ratio_interval(runs_a, runs_b)
    if noisy:
        words = _("差异不可信（不是真实差异）：%(jobs)s 运行时有噪声，见任务页。") % {
            "jobs": "、".join(f"#{job.pk}" for job in noisy)}
        return {"verdict": "untrusted", "interval": interval, "words": words}
    if interval is None:
        return {"verdict": "unknown", "interval": None, "words": _("无法判断：两个任务都需要至少 2 次重复测量。")}
    lo, hi = interval
    if lo <= 1 <= hi:
        return {"verdict": "noise", "interval": interval,
                "words": _("差异在噪声范围内（比值区间 %(lo).2f×–%(hi).2f× 包含 1）。") % {"lo": lo, "hi": hi}}
    return {"verdict": "real", "interval": interval,
            "words": _("真实差异（比值区间 %(lo).2f×–%(hi).2f× 不包含 1）。") % {"lo": lo, "hi": hi}}
