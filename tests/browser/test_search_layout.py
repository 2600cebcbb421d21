"""The search results page on a phone: filters, highlighted hits and page links fit 320 and
390 px in both modes, and a visitor can narrow the results and page through them."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from django.urls import reverse

from content.models import ActivityPage
from tests.browser.test_public_walkthrough import district, switch_on_elder_mode  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def many_hits(district):  # noqa: F811
    station = district["station"]
    for i in range(23):
        activity = ActivityPage(
            title=f"第{i + 1}次停车议事会（东平巷小区夜间停车与非机动车充电长期协商）",
            slug=f"parking-{i}",
            summary="居民反映夜间停车难、Wi-Fi覆盖不足，ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ",
            date=dt.date(2026, 5, 1),
        )
        station.add_child(instance=activity)
        activity.save_revision().publish()
    return district


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "large-text"])
@pytest.mark.parametrize("width", [320, 390])
def test_results_fit_a_phone_and_page_on(live_server, many_hits, open_page, width, elder):
    page = open_page(viewport={"width": width, "height": 800}).page
    if elder:
        page.goto(live_server.url + "/")
        switch_on_elder_mode(page)
    page.goto(live_server.url + reverse("search") + "?q=停车")
    expect(page.get_by_role("status")).to_contain_text("共找到 24 条结果")
    expect(page.locator(".search-hit")).to_have_count(20)
    expect(page.locator(".search-hit mark").first).to_have_text("停车")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the results page is {overflow}px wider than {width}px"

    page.get_by_role("link", name="下一页").click()
    expect(page.locator(".search-hit")).to_have_count(4)
    page.get_by_role("navigation", name="按类别筛选").get_by_role("link", name="站点 1").click()
    expect(page.locator(".search-hit")).to_have_count(1)
    expect(page.locator(".search-hit a")).to_have_text("东平巷网格联络点")
    page.get_by_label("街道").select_option(label="湖滨街道")
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_role("status")).to_contain_text("在湖滨街道共找到 24 条结果")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
