"""Lab job pages in headless Chromium, zh and en: the history chart is drawn by the static script under the
site's CSP (no console errors), and the failed-check and unknown-lab pages render. Screenshots go to
var/screens/ for a person to look at."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone

from labs.models import LabJob
from tests.support import LAB_RESULTS, runner_system_info
from tests.support import browser_login as login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent
RESULTS = LAB_RESULTS
SCREENS = ROOT / "var" / "screens"
SYSTEM = runner_system_info()


def result_data(name: str) -> dict:
    return json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))


def make_job(user, lab, result, *, status=LabJob.Status.SUCCEEDED, days_ago=0, **extra) -> LabJob:
    at = timezone.now() - dt.timedelta(days=days_ago)
    return LabJob.objects.create(user=user, lab=lab, queue="lab.cpu", status=status, result=result,
                                 system_info=SYSTEM, progress=100, created_at=at, finished_at=at,
                                 **{"stage": "完成", **extra})


def test_job_pages_in_both_languages_with_the_history_chart(page, live_server, user):
    quant = result_data("quant-inference")
    jobs = []
    for i, factor in enumerate((0.8, 1.0, 1.3)):
        r = copy.deepcopy(quant)
        for e in r["precisions"]:
            if e.get("status") == "ok":
                e["decode_tokens_per_s"] *= factor
        jobs.append(make_job(user, "quant-inference", r, days_ago=3 - i, params={"precisions": ["fp32", "int8"]}))
    source = (ROOT / "gpu_runner" / "cpp" / "qwen_tokenizer.cpp").read_text(encoding="utf-8")
    ce = result_data("cpp-tokenizer-ce")
    failed = make_job(user, "cpp-tokenizer", ce, status=LabJob.Status.FAILED, error=f"CE: {ce['message']}",
                      stage="失败", params={"files": {"qwen_tokenizer.cpp": source}})
    ok = make_job(user, "cpp-tokenizer", result_data("cpp-tokenizer-ok"))
    unknown = make_job(user, "kv-cache-offload", {"lab": "kv-cache-offload", "tokens_per_s": 41.5})

    errors: list[str] = []
    # CSP violations and script errors arrive as console errors; failed loads are checked by URL instead (the
    # browser asks for /favicon.ico on its own, which the site does not serve).
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    login(page, live_server)
    SCREENS.mkdir(parents=True, exist_ok=True)
    for lang in ("zh-hans", "en"):
        page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
        page.goto(f"{live_server.url}/labs/jobs/{jobs[-1].pk}/")
        canvas = page.locator("#lab-history-chart")
        canvas.wait_for()
        page.wait_for_function("() => document.getElementById('lab-history-chart').dataset.drawn === 'true'")
        assert canvas.bounding_box()["height"] > 200
        page.screenshot(path=str(SCREENS / f"lab-quant-{lang}.png"), full_page=True)
        for name, job in (("cpp-ce", failed), ("cpp-ok", ok), ("unknown", unknown)):
            page.goto(f"{live_server.url}/labs/jobs/{job.pk}/")
            page.screenshot(path=str(SCREENS / f"lab-{name}-{lang}.png"), full_page=True)
        page.goto(f"{live_server.url}/labs/jobs/{failed.pk}/")
        assert page.get_by_test_id("check-failed").is_visible()
        assert page.get_by_test_id("missing-header-hint").is_visible()
        assert not page.locator("[data-testid=source-file] pre").is_visible()  # collapsed until opened
        page.locator("[data-testid=source-file] summary").click()
        assert page.locator("[data-testid=source-file] pre").is_visible()
    assert errors == []


def test_new_lab_pages_and_the_comparison_draw_their_charts_on_desktop_and_phone(page, live_server, user):
    long_a = make_job(user, "long-context", result_data("long-context"), days_ago=1,
                      params={"settings": [{"type": "none"}, {"type": "linear", "factor": 4}], "lengths": [128, 1024]})
    long_b = make_job(user, "long-context", result_data("long-context"),
                      params={"settings": [{"type": "none"}, {"type": "yarn", "factor": 4}], "lengths": [128, 1024]})
    tuning = make_job(user, "finetune", result_data("finetune"))
    serving = make_job(user, "serving-bench", result_data("serving-bench"))
    kernel = make_job(user, "kernels", result_data("kernels-gemm-naive"))  # the roofline: a log-log chart
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    login(page, live_server)
    SCREENS.mkdir(parents=True, exist_ok=True)
    for lang in ("zh-hans", "en"):
        page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
        for width, size in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
            page.set_viewport_size(size)
            for name, job in (("long-context", long_b), ("finetune", tuning), ("serving", serving),
                              ("kernels", kernel)):
                page.goto(f"{live_server.url}/labs/jobs/{job.pk}/")
                charts = page.locator("canvas.lab-chart")
                assert charts.count() >= 2
                page.wait_for_function("() => [...document.querySelectorAll('canvas.lab-chart')]"
                                       ".every(c => c.dataset.drawn === 'true')")
                assert charts.first.bounding_box()["width"] <= size["width"]
                # nothing makes the page scroll sideways (a long URL or path breaks instead)
                assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], name
                page.screenshot(path=str(SCREENS / f"lab-{name}-{lang}-{width}.png"), full_page=True)
                charts.first.screenshot(path=str(SCREENS / f"lab-{name}-{lang}-{width}-chart.png"))
            page.goto(f"{live_server.url}/labs/jobs/{long_b.pk}/")
            page.get_by_test_id("compare-link").first.click()
            page.wait_for_url(f"**/labs/compare/?a={long_a.pk}&b={long_b.pk}")
            assert page.get_by_test_id("compare-figures").is_visible()
            page.screenshot(path=str(SCREENS / f"lab-compare-{lang}-{width}.png"), full_page=True)
    page.emulate_media(color_scheme="dark")  # the charts read the dark palette when they are drawn
    page.goto(f"{live_server.url}/labs/jobs/{long_b.pk}/")
    page.wait_for_function("() => document.querySelector('canvas.lab-chart').dataset.drawn === 'true'")
    dark = "lab-long-context-en-phone-dark"
    page.locator("figure.lab-line").first.screenshot(path=str(SCREENS / f"{dark}-chart.png"))
    page.get_by_test_id("lab-heatmap").first.screenshot(path=str(SCREENS / f"{dark}-heatmap.png"))
    page.goto(f"{live_server.url}/labs/jobs/{tuning.pk}/")
    sample = page.get_by_test_id("sample").first
    assert not sample.locator("pre").first.is_visible()  # collapsed until opened
    sample.locator("summary").click()
    assert sample.locator("pre").first.is_visible()
    assert errors == []
