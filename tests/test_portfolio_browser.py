"""The public portfolio in headless Chromium: published through the settings page's button, read logged out on a
phone-sized screen in dark mode (no sideways scrolling, dark background, no CSP or script errors) in zh and en,
switched to English with the site's language switch, then withdrawn through the page. Screenshots go to
var/screens/ for a person to look at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.utils import timezone

from labs.models import LabJob
from practice.models import Exercise, Submission
from tests.support import LAB_RESULTS, runner_system_info
from tests.support import browser_login as login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent
RESULTS = LAB_RESULTS
SCREENS = ROOT / "var" / "screens"
SYSTEM = runner_system_info(queues=["lab.cuda"], hostname="gpu-box-7")
PHONE = {"width": 390, "height": 844}


def make_job(user, lab: str, name: str) -> LabJob:
    result = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
    return LabJob.objects.create(user=user, lab=lab, queue="lab.cuda", status=LabJob.Status.SUCCEEDED, result=result,
                                 system_info=SYSTEM, progress=100, finished_at=timezone.now())


def test_a_published_portfolio_reads_well_on_a_phone_in_dark_mode_and_can_be_withdrawn(
        page, browser, live_server, user, plan_content):
    for lab in ("quant-inference", "vllm-batch", "cpp-tokenizer-ok", "finetune"):
        make_job(user, lab.removesuffix("-ok"), lab)
    for exercise in Exercise.objects.live().filter(skills__isnull=False).order_by("order", "slug")[:4]:
        Submission.objects.create(user=user, exercise=exercise, mode=Submission.Mode.SUBMIT, verdict="AC",
                                  status=Submission.Status.DONE, source="pass")
    login(page, live_server)
    page.goto(f"{live_server.url}/portfolio/")
    page.get_by_test_id("portfolio-publish").click()
    url = page.get_by_test_id("portfolio-url").input_value()
    assert f"{live_server.url}/p/" in url

    SCREENS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    for lang in ("zh-hans", "en"):
        visitor = browser.new_context(viewport=PHONE, color_scheme="dark", is_mobile=True)
        visitor.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
        phone = visitor.new_page()
        phone.on("console", lambda m: errors.append(m.text)
                 if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
        phone.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                 if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        assert phone.goto(url).status == 200
        assert phone.get_by_test_id("portfolio-title").is_visible()
        assert phone.get_by_test_id("portfolio-lab-quant-inference").is_visible()
        assert "gpu-box-7" not in phone.content()
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(20, 23, 28)", background  # the dark theme's --bg
        phone.locator("[data-testid=portfolio-system] summary").first.click()
        assert phone.get_by_test_id("gpus").first.is_visible()
        phone.screenshot(path=str(SCREENS / f"portfolio-phone-dark-{lang}.png"), full_page=True)
        visitor.close()
    assert errors == []

    visitor = browser.new_context(viewport=PHONE, color_scheme="dark", is_mobile=True)  # no language cookie yet
    phone = visitor.new_page()
    phone.goto(url)
    assert "alice 的学习档案" in phone.get_by_test_id("portfolio-title").inner_text()
    phone.locator("#nav-toggle + label").click()  # the phone menu holds the language switch
    phone.get_by_test_id("lang-en").click()
    phone.wait_for_url(url)
    assert "alice’s learning portfolio" in phone.get_by_test_id("portfolio-title").inner_text()
    visitor.close()

    page.goto(f"{live_server.url}/portfolio/")
    page.get_by_test_id("portfolio-revoke").click()
    page.get_by_test_id("portfolio-publish").wait_for()
    assert page.goto(url).status == 404
