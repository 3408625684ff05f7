"""In headless Chromium: a review session driven by the keyboard, and a Chinese search from the nav box."""

from __future__ import annotations

import pytest

from knowledge.models import ReviewCard, ReviewLog
from tests.support import browser_login as login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_review_session_by_keyboard_and_a_chinese_search(page, live_server, plan_content, user):
    login(page, live_server)
    page.goto(f"{live_server.url}/review/")
    prompt = page.get_by_test_id("review-prompt").inner_text()
    assert page.get_by_test_id("review-answer").count() == 0
    page.keyboard.press("Space")
    page.get_by_test_id("review-answer").wait_for()
    page.keyboard.press("3")
    page.wait_for_function("p => { const el = document.querySelector('[data-testid=review-prompt]');"
                           " return el && el.innerText !== p; }", arg=prompt)
    assert ReviewLog.objects.filter(user=user, rating=3).count() == 1
    first = ReviewCard.objects.get(user=user)
    assert first.item.prompt == prompt and first.reps == 1

    page.keyboard.press("Space")
    page.get_by_test_id("review-answer").wait_for()
    page.keyboard.press("1")
    page.wait_for_function("() => !document.querySelector('[data-testid=review-answer]')")
    assert list(ReviewLog.objects.filter(user=user).order_by("id").values_list("rating", flat=True)) == [3, 1]

    page.get_by_test_id("nav-search").fill("量化")
    page.get_by_test_id("nav-search").press("Enter")
    page.wait_for_url("**/search/?q=*")
    hits = page.get_by_test_id("search-hit")
    assert hits.count() > 3
    assert page.locator("[data-testid=search-hit] mark", has_text="量化").count() > 0
    hrefs = page.locator("[data-testid=search-hit] a").evaluate_all("els => els.map(e => e.href)")
    assert any(h.endswith("/kb/gptq-awq/") for h in hrefs[:3])

    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_function("() => document.getElementById('skills-chart').dataset.drawn === 'true'")
