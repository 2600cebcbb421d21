"""The real dashboard in a browser: a street committee secretary opens 一屏统览 and sees the
charts drawn from the rollup tables, each figure's table kept for screen readers, no console
errors and no serious axe violations; a click on a figure opens the listing of its rows; the
big screen shows the same figures."""

import pytest
from playwright.sync_api import expect

from django.urls import reverse

from oversight.rollups import refresh
from tests.browser.conftest import DESKTOP_VIEWPORT
from tests.browser.test_charts import chart_state, watch_console
from tests.browser.test_opinion_flow import sign_in
from tests.browser.test_public_walkthrough import assert_no_serious_axe_violations
from tests.test_dashboards import build_data_set
from tests.test_dashboards import loop as loop  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_dashboard_draws_its_charts_and_keeps_the_tables(live_server, loop, open_page):  # noqa: F811
    build_data_set(loop)
    refresh()
    page = open_page(DESKTOP_VIEWPORT).page
    problems = watch_console(page)
    sign_in(page, live_server, "hubin-secretary")
    page.goto(live_server.url + reverse("oversight_dashboard:index"))
    expect(page.get_by_role("heading", name="湖滨街道 · ", exact=False).first).to_be_visible()
    page.wait_for_function("() => document.querySelectorAll('.lianluo-chart__canvas canvas').length >= 4")
    for figure, kind in (("chart-channel", "bar"), ("chart-category", "bar"), ("chart-rates", "line")):
        state = chart_state(page, figure)
        assert state and state["chart"] and state["type"] == kind and state["inked"] > 0, (figure, state)
    # The tiles are drawn by the server; every table is still in the page for screen readers.
    expect(page.locator("#chart-overdue .lianluo-tile, #chart-overdue li").first).to_be_attached()
    assert page.locator("#chart-rates table").count() == 1
    headline = page.locator(".lianluo-headline").first
    expect(headline).to_contain_text("办结率")
    expect(headline).to_contain_text("80.0%")
    assert problems == []
    assert_no_serious_axe_violations(page, "the street committee's dashboard")

    # A figure's link opens the listing of exactly its rows.
    page.locator(".lianluo-headline a", has_text="收到意见").first.click()
    page.wait_for_load_state("load")
    assert "/admin/opinions/" in page.url and f"street={loop['street'].pk}" in page.url
    receipts = page.evaluate(
        "() => new Set([...document.querySelectorAll('a[href*=\"/admin/opinions/inspect/\"]')].map(a => a.href)).size"
    )
    assert receipts == 6


def test_the_big_screen_shows_the_district(live_server, loop, open_page):  # noqa: F811
    build_data_set(loop)
    refresh()
    page = open_page({"width": 1920, "height": 1080}).page
    problems = watch_console(page)
    sign_in(page, live_server, "district-admin")
    page.goto(live_server.url + reverse("oversight_dashboard:screen"))
    page.wait_for_function("() => document.querySelectorAll('.lianluo-chart__canvas canvas').length >= 2")
    expect(page.locator("body")).to_contain_text("66.7%")  # the district's closure rate, 4/6
    assert problems == []
    assert_no_serious_axe_violations(page, "the district's big screen")
