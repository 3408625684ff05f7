"""The planner page in headless Chromium: the formulas rendered by the vendored KaTeX, the memory bar and the
decode curve drawn by Chart.js under the site's CSP (no console errors), in Chinese on a laptop and in English on
a phone in dark mode without sideways scrolling. Screenshots go to var/screens/ for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import browser_login as login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENS = Path(__file__).resolve().parent.parent / "var" / "screens"
PHONE = {"width": 390, "height": 844}


def watch(pg, errors: list[str]) -> None:
    pg.on("console", lambda m: errors.append(m.text)  # a failed load is reported by its response below
          if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("response", lambda r: errors.append(f"{r.status} {r.url}")
          if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)


def drawn(pg) -> None:
    pg.wait_for_function("() => document.querySelector('canvas.planner-memory').dataset.drawn === 'true'"
                         " && document.querySelector('canvas.lab-chart').dataset.drawn === 'true'"
                         " && document.querySelectorAll('.arithmatex .katex').length >= 10")


def test_the_planner_draws_its_formulas_and_charts_in_both_languages(page, browser, live_server, user):
    SCREENS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    watch(page, errors)
    login(page, live_server)
    page.goto(f"{live_server.url}/planner/")
    drawn(page)
    assert "装不下" in page.get_by_test_id("planner-answer").inner_text()
    assert page.locator(".katex-error").count() == 0
    page.screenshot(path=str(SCREENS / "planner-zh.png"), full_page=True)
    for part in ("answer", "fit", "decode"):
        page.get_by_test_id(f"planner-{part}").screenshot(path=str(SCREENS / f"planner-zh-{part}.png"))

    # a plan chosen through the form: the URL carries it, the page answers it
    page.select_option("#id_model", "qwen2_5-7b")
    page.select_option("#id_gpu", "rtx-4090")
    page.fill("#id_batch", "8")
    page.fill("#id_context", "4096")
    page.select_option("#id_engine", "paged")
    page.get_by_test_id("planner-submit").click()
    page.wait_for_url("**/planner/?*model=qwen2_5-7b*")
    drawn(page)
    assert "装得下" in page.get_by_test_id("planner-verdict").inner_text()
    assert page.get_by_test_id("planner-answer").count() == 0

    phone = browser.new_context(viewport=PHONE, color_scheme="dark", is_mobile=True)
    phone.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url},
                       *page.context.cookies()])
    pg = phone.new_page()
    watch(pg, errors)
    pg.goto(f"{live_server.url}/planner/")
    drawn(pg)
    assert "Can Qwen-7B-Chat-Int4 run on an 8 GB RTX 4070 laptop?" in pg.get_by_test_id("planner-answer").inner_text()
    assert pg.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(20, 23, 28)"  # dark palette
    assert pg.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    pg.screenshot(path=str(SCREENS / "planner-en-phone-dark.png"), full_page=True)
    pg.get_by_test_id("planner-fit").screenshot(path=str(SCREENS / "planner-en-phone-dark-fit.png"))
    phone.close()
    assert errors == []
