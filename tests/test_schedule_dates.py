"""The plan's start date: a date the schedule cannot compute from is refused at the field, a row stored before
that check breaks no page, and the date input shows the stored date in every language (ISO, as <input
type="date"> needs), so saving the form again keeps the schedule."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from tracker.models import Phase, Profile

pytestmark = pytest.mark.django_db


def _start(user) -> dt.date | None:
    return Profile.objects.get(user=user).start_date


@pytest.mark.parametrize("value", ["9999-12-31", "2200-01-01", "1969-12-31", "0001-01-01"])
def test_a_start_date_the_schedule_cannot_compute_is_refused_at_the_field(client_a, user, plan_content, value):
    Profile.objects.create(user=user, start_date=dt.date(2026, 9, 1))
    response = client_a.post(reverse("schedule"), {"start_date": value})
    assert response.status_code == 400
    html = response.content.decode()
    error = re.search(r'data-testid="start-date-error">([^<]*)<', html)
    assert error and "1970-01-01" in error.group(1) and "2199-12-31" in error.group(1) and value in error.group(1)
    assert _start(user) == dt.date(2026, 9, 1)  # nothing stored
    assert "开始日期已保存" not in html


def test_a_date_that_is_no_date_is_refused_at_the_field_too(client_a, user, plan_content):
    response = client_a.post(reverse("schedule"), {"start_date": "10000-01-01"})
    assert response.status_code == 400 and 'data-testid="start-date-error"' in response.content.decode()
    assert _start(user) is None


def test_a_stored_year_9999_start_breaks_no_page_and_the_form_puts_it_right(client_a, user, plan_content):
    Profile.objects.update_or_create(user=user, defaults={"start_date": dt.date(9999, 12, 31)})
    plan = client_a.get(reverse("plan"))
    assert plan.status_code == 200
    html = plan.content.decode()
    assert 'value="9999-12-31"' in html and 'data-testid="start-date-error"' in html  # the reason, at the field
    assert "计划窗口" not in html  # no window is drawn from a date the schedule cannot compute
    for phase in Phase.objects.live():
        assert client_a.get(reverse("phase", args=[phase.slug])).status_code == 200, phase.slug
        assert phase.window(dt.date.max) is None
    dashboard = client_a.get(reverse("dashboard"))
    assert dashboard.status_code == 200 and "设定开始日期以查看排期状态" in dashboard.content.decode()
    assert client_a.get(reverse("portfolio_settings")).status_code == 200
    fixed = client_a.post(reverse("schedule"), {"start_date": "2026-09-01"}, follow=True)
    assert fixed.status_code == 200 and "开始日期已保存" in fixed.content.decode()
    assert _start(user) == dt.date(2026, 9, 1) and "计划窗口" in fixed.content.decode()


def _rendered_start(html: str) -> str:
    field = re.search(r'<input type="date" name="start_date"[^>]*>', html)
    assert field, "no date input on the plan page"
    value = re.search(r'value="([^"]*)"', field.group(0))
    return value.group(1) if value else ""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_date_input_shows_the_stored_date_in_iso_form_and_saving_it_again_keeps_the_schedule(
        client_a, user, plan_content, language):
    client_a.cookies["django_language"] = language
    client_a.post(reverse("schedule"), {"start_date": "2026-12-01"})
    for _ in range(2):  # what a learner does: open the plan, press save without touching the date
        shown = _rendered_start(client_a.get(reverse("plan")).content.decode())
        assert shown == "2026-12-01"
        client_a.post(reverse("schedule"), {"start_date": shown})
        assert _start(user) == dt.date(2026, 12, 1)
    assert "计划窗口" in client_a.get(reverse("plan")).content.decode() or language == "en"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chinese_saving_the_start_date_twice_in_a_browser_keeps_the_schedule(page, live_server, plan_content):
    from django.contrib.auth import get_user_model

    from tests.support import browser_login

    get_user_model().objects.create_user("hana", password="s3cret-pass-123")
    browser_login(page, live_server, "hana")
    page.goto(f"{live_server.url}/plan/")
    page.fill("input[name=start_date]", "2026-12-01")
    page.click("form[action='/plan/schedule/'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/plan/")
    for _ in range(2):
        assert page.input_value("input[name=start_date]") == "2026-12-01"  # shown, not blank
        page.click("form[action='/plan/schedule/'] button[type=submit]")
        page.wait_for_url(f"{live_server.url}/plan/")
        assert "开始日期已保存" in page.inner_text(".messages")
    user = get_user_model().objects.get(username="hana")
    assert Profile.objects.get(user=user).start_date == dt.date(2026, 12, 1)
    assert page.locator("text=计划窗口").count() > 0
