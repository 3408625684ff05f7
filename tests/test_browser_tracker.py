"""Headless Chromium: sign up, mark a task done, watch the progress bar move; the pages on a phone, dark."""

from __future__ import annotations

from pathlib import Path

import pytest

SHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signup(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/signup/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password1]", "Long-pass-4-test")
    page.fill("input[name=password2]", "Long-pass-4-test")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/plan/")


def test_sign_up_mark_a_task_done_and_the_bar_moves(page, live_server, plan_content):
    from tracker.models import Task

    signup(page, live_server.url, "frank")
    page.goto(f"{live_server.url}/plan/phase-1/")
    label = page.locator("[data-testid=barlabel-phase-1]")
    total = Task.objects.live().filter(phase__slug="phase-1").count()
    assert label.inner_text().startswith(f"0/{total}")
    page.evaluate("window.__marker = 'same-page'")
    task = Task.objects.live().filter(phase__slug="phase-1").first()
    page.click(f"[data-testid=status-{task.slug}] button.done")
    page.wait_for_selector(f"[data-testid=status-{task.slug}][data-status=done]")
    page.wait_for_function(f"document.querySelector('[data-testid=barlabel-phase-1]').innerText.startsWith('1/{total}')")
    width = page.eval_on_selector("[data-testid=bar-phase-1] .done", "el => el.style.width")
    assert width == f"{round(100 / total)}%"
    assert page.evaluate("window.__marker") == "same-page"  # changed in place, no reload
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "phase-zh.png"), full_page=True)
    page.goto(f"{live_server.url}/dashboard/")
    assert page.inner_text("[data-testid=overall-pct]") != "0%" or total > 200
    page.screenshot(path=str(SHOTS / "dashboard-zh.png"), full_page=True)


def test_english_dark_mode_on_a_phone(browser, live_server, plan_content):
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = context.new_page()
    signup(page, live_server.url, "gina")
    assert not page.is_visible("[data-testid=lang-en]")  # the menu is folded on a phone
    page.click("label.nav-burger")
    page.click("[data-testid=lang-en]")
    page.wait_for_load_state()
    assert "Basic deployment" in page.content() or "Dashboard" in page.content()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 23, 28)"  # the dark palette
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the plan page must not scroll sideways on a phone"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "plan-en-dark-phone.png"), full_page=True)
    context.close()
