"""视窗晾晒 in headless Chromium: the district's rates drawn as a line chart from its table
(the table stays), the street tiles, a street's page with its stations and published results;
no console errors, no serious axe violations (also in the large-text mode), nothing fetched
from outside the server, nothing wider than a phone."""

import pytest
from playwright.sync_api import expect

from django.urls import reverse
from django.utils import timezone

from base.roles import Role, department_group_name, role_group_name
from oversight.rollups import refresh
from tests.browser.conftest import DESKTOP_VIEWPORT, PHONE_VIEWPORT
from tests.browser.test_charts import chart_state, watch_console
from tests.browser.test_public_walkthrough import (
    assert_no_serious_axe_violations,
    assert_stayed_on_live_server,
    switch_on_elder_mode,
)
from tests.conftest import role_user, station_user
from tests.test_dashboards import build_data_set
from workflows.models import Department, Opinion, Publication

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PUBLISHED = "东平巷夜间增设临时车位"


@pytest.fixture
def window(two_streets, street, settings):
    settings.LIANLUO_RATING_WAIT_DAYS = 0
    department = Department.objects.create(name="区城管局")
    loop = {
        **two_streets,
        "street": street,
        "department": department,
        "staff": station_user(two_streets["station"]),
        "handler": role_user("cgj-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department)),
    }
    build_data_set(loop)
    published = Opinion.objects.filter(street=street, outcome="resolved").first()
    Opinion.objects.filter(pk=published.pk).update(
        publication=Publication.APPROVED,
        public_summary=PUBLISHED,
        public_reply="已施划临时车位。",
        published_at=timezone.now(),
    )
    refresh()
    return loop


def test_the_window_draws_its_charts_keeps_the_tables_and_passes_axe(live_server, window, open_page):
    recording = open_page(DESKTOP_VIEWPORT)
    page = recording.page
    problems = watch_console(page)

    page.goto(live_server.url + reverse("window_district"))
    expect(page.get_by_role("heading", level=1)).to_have_text("视窗晾晒")
    page.wait_for_function("() => document.querySelector('#chart-rates .lianluo-chart__canvas canvas')")
    drawn = chart_state(page, "chart-rates")
    assert drawn["chart"] and drawn["type"] == "line" and drawn["inked"] > 0
    assert drawn["series"] == ["办结率", "解决率", "满意率"]
    # The table the chart was drawn from stays in the page; the street tiles lead to the streets.
    expect(page.locator("#chart-rates-data table")).to_have_count(1)
    expect(page.locator("#chart-streets .lianluo-tile")).to_have_count(2)
    expect(page.locator("main table.window-table")).to_contain_text("80.0%（4/5）")
    assert_no_serious_axe_violations(page, "the district's window")

    page.locator("main table.window-table").get_by_role("link", name="湖滨街道").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("湖滨街道 · 视窗晾晒")
    page.wait_for_function("() => document.querySelector('#chart-rates .lianluo-chart__canvas canvas')")
    expect(page.locator("main")).to_contain_text(PUBLISHED)
    expect(page.locator("main table.window-table").get_by_role("link", name="东平巷代表联络站")).to_have_attribute(
        "href", window["station"].url
    )
    assert_no_serious_axe_violations(page, "a street's window")

    switch_on_elder_mode(page)
    expect(page.locator("#chart-rates-data table")).to_be_visible()  # large text: the table is the chart
    assert_no_serious_axe_violations(page, "a street's window in the large-text mode")

    assert problems == [], problems
    assert_stayed_on_live_server(recording, live_server)


@pytest.mark.parametrize("elder", [False, True])
def test_the_window_fits_a_phone(live_server, window, open_page, elder):
    page = open_page(PHONE_VIEWPORT).page
    page.goto(live_server.url + reverse("window_district"))
    if elder:
        switch_on_elder_mode(page)
    for path in (reverse("window_district"), reverse("window_street", args=[window["street"].slug])):
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a phone"
