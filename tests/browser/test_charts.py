"""Charts in a browser: bar, line and stacked charts drawn by the vendored Chart.js from their
tables, street tiles, the tables kept for screen readers (and shown when Chart.js is missing,
in the large-text mode and on paper), the big screen's clock and refresh. No console errors,
no serious axe violations, nothing fetched from outside the server.

The dashboard views are not there yet: tests/browser/chart_urls.py renders the product's
templates (big_screen.html, includes/chart.html) from fixed figures."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chart_urls import CLOSED, MONTHS, RECEIVED, STREETS
from tests.browser.conftest import DESKTOP_VIEWPORT, PHONE_VIEWPORT
from tests.browser.test_public_walkthrough import (
    SCREENSHOT_DIR,
    assert_no_serious_axe_violations,
    assert_stayed_on_live_server,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.urls("tests.browser.chart_urls"),
]

BIG_SCREEN = {"width": 1920, "height": 1080}
DRAWN_KINDS = ("bar", "line", "stacked")


def watch_console(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    return problems


def chart_state(page: Page, figure_id: str) -> dict:
    """What Chart.js drew in a figure: its type, series, animation and how many pixels are inked."""
    return page.evaluate(
        """(id) => {
            const canvas = document.querySelector(`#${id} .lianluo-chart__canvas canvas`);
            if (!canvas) return null;
            const chart = window.Chart && window.Chart.getChart(canvas);
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let inked = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
            return {
                chart: !!chart,
                type: chart && chart.config.type,
                stacked: chart && !!chart.options.scales.y.stacked,
                series: chart && chart.data.datasets.map((d) => d.label),
                values: chart && chart.data.datasets.map((d) => d.data),
                animation: chart && chart.options.animation,
                fontSize: chart && chart.options.scales.x.ticks.font.size,
                role: canvas.getAttribute("role"),
                label: canvas.getAttribute("aria-label"),
                width: canvas.width,
                inked,
            };
        }""",
        figure_id,
    )


def table_links(page: Page, figure_id: str) -> list[tuple[str, str]]:
    links = page.evaluate(
        """(id) => [...document.querySelectorAll(`#${id} table a`)]
            .map((a) => [a.textContent, a.getAttribute("href")])""",
        figure_id,
    )
    return [tuple(link) for link in links]


def is_visually_shown(page: Page, selector: str) -> bool:
    """Measured on the table's box: a folded table is clipped by it, not resized."""
    box = page.locator(selector).bounding_box()
    return bool(box and box["width"] > 10 and box["height"] > 10)


def test_big_screen_draws_every_chart_keeps_the_tables_and_passes_axe(live_server, open_page):
    recording = open_page(viewport=BIG_SCREEN)
    page = recording.page
    page.emulate_media(reduced_motion="reduce")
    problems = watch_console(page)
    page.goto(live_server.url + "/test-charts/big-screen/")
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_contain_text("群众意见办理监测")
    expect(page.locator("html")).to_have_class("lianluo-bigscreen")

    for kind, figure_id in zip(DRAWN_KINDS, ["chart-received", "chart-closing", "chart-standing"], strict=True):
        expect(page.locator(f"#{figure_id} canvas")).to_have_count(1)
        state = chart_state(page, figure_id)
        assert state["chart"], f"{kind}: no Chart.js instance"
        assert state["inked"] > 1000, f"{kind}: the canvas is blank"
        assert state["role"] == "img" and state["label"].endswith("：图表，数据见下表")
        assert state["animation"] is False  # prefers-reduced-motion
        assert state["type"] == ("line" if kind == "line" else "bar")
        assert state["stacked"] is (kind == "stacked")
    closing = chart_state(page, "chart-closing")
    assert closing["series"] == ["受理", "办结"] and closing["values"] == [RECEIVED, CLOSED]
    assert chart_state(page, "chart-received")["label"] == "每月受理意见：图表，数据见下表"
    assert chart_state(page, "chart-standing")["fontSize"] == 18  # the big screen's --chart-font-size

    # Tiles: one per street, shaded by class, linking to the street's rows; no data, no link.
    tiles = page.locator("#chart-rates .lianluo-tile")
    expect(tiles).to_have_count(len(STREETS))
    expect(tiles.nth(0)).to_have_class(re.compile(r"\blianluo-tile--5\b"))
    expect(tiles.nth(3)).to_have_class(re.compile(r"\blianluo-tile--none\b"))
    expect(tiles.nth(5)).to_have_class(re.compile(r"\blianluo-tile--0\b"))
    expect(page.get_by_role("link", name="湖滨街道 96.5%")).to_have_attribute(
        "href", "/test-charts/rows/?street=0&closed=1"
    )
    expect(page.locator("#chart-rates canvas")).to_have_count(0)

    # The tables stay in the accessibility tree, folded away behind "查看数据表".
    assert table_links(page, "chart-closing")[:3] == [
        ("120", "/test-charts/rows/?month=2026-07"),
        ("101", "/test-charts/rows/?month=2026-07&closed=1"),
        ("95", "/test-charts/rows/?month=2026-08"),
    ]
    for figure_id in ["chart-received", "chart-closing", "chart-standing", "chart-rates"]:
        expect(page.get_by_role("table", name=re.compile("数据表"))).to_have_count(4)
        assert not is_visually_shown(page, f"#{figure_id} .lianluo-chart__data")
    received = page.locator("#chart-received")
    toggle = received.get_by_role("button", name="查看数据表")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert is_visually_shown(page, "#chart-received .lianluo-chart__data")
    expect(received.get_by_role("row", name=re.compile("2026-10"))).to_contain_text("0")

    # Headline figures link to their rows.
    expect(page.get_by_role("link", name=re.compile("办结率"))).to_have_attribute("href", "/test-charts/rows/?closed=1")
    expect(page.locator(".lianluo-headline")).to_contain_text("(1234/1340)")
    expect(page.locator("[data-computed-at]")).to_have_text("2026-12-06 08:30")

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT_DIR / "charts-big-screen.png")
    assert_no_serious_axe_violations(page, "the big screen")
    assert problems == []
    assert_stayed_on_live_server(recording, live_server)
    # The layout fits the monitoring room's screen without scrolling sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= 1920")

    # On paper the tables are the charts.
    page.emulate_media(media="print")
    expect(page.locator("#chart-closing .lianluo-chart__canvas")).to_be_hidden()
    assert is_visually_shown(page, "#chart-closing .lianluo-chart__data")


def test_a_keyboard_user_tabbing_into_a_folded_table_sees_it(live_server, open_page):
    page = open_page(viewport=DESKTOP_VIEWPORT).page
    page.goto(live_server.url + "/test-charts/public/")
    page.wait_for_load_state("load")
    expect(page.locator("#chart-received canvas")).to_have_count(1)
    assert not is_visually_shown(page, "#chart-received .lianluo-chart__data")
    page.locator("#chart-received table a").first.focus()
    assert is_visually_shown(page, "#chart-received .lianluo-chart__data")


def test_clicking_a_bar_opens_the_rows_it_counts(live_server, open_page):
    page = open_page(viewport=DESKTOP_VIEWPORT).page
    page.emulate_media(reduced_motion="reduce")
    page.goto(live_server.url + "/test-charts/public/")
    page.wait_for_load_state("load")
    expect(page.locator("#chart-received canvas")).to_have_count(1)
    canvas = page.locator("#chart-received canvas")
    canvas.scroll_into_view_if_needed()
    point = page.evaluate(
        """() => {
            const canvas = document.querySelector("#chart-received canvas");
            const bar = window.Chart.getChart(canvas).getDatasetMeta(0).data[2];
            return { x: bar.x, y: (bar.y + bar.base) / 2 };
        }"""
    )
    canvas.click(position=point)
    expect(page).to_have_url(live_server.url + f"/test-charts/rows/?month={MONTHS[2]}")


def test_without_chartjs_the_tables_show_and_nothing_breaks(live_server, open_page):
    recording = open_page(viewport=DESKTOP_VIEWPORT)
    page = recording.page
    uncaught: list[str] = []
    page.on("pageerror", lambda error: uncaught.append(str(error)))
    page.route("**/static/vendor/chartjs/**", lambda route: route.abort())
    page.goto(live_server.url + "/test-charts/public/")
    page.wait_for_load_state("load")
    expect(page.locator("figure[data-chart] canvas")).to_have_count(0)
    expect(page.get_by_role("button", name="查看数据表")).to_have_count(1)  # the tiles' only
    for figure_id in ["chart-received", "chart-closing", "chart-standing"]:
        assert is_visually_shown(page, f"#{figure_id} .lianluo-chart__data")
        expect(page.locator(f"#{figure_id}")).not_to_have_class(re.compile("lianluo-chart--folded"))
    assert table_links(page, "chart-received")[0] == ("120", "/test-charts/rows/?month=2026-07")
    assert uncaught == []
    assert_no_serious_axe_violations(page, "charts without Chart.js")


@pytest.mark.parametrize("viewport", [DESKTOP_VIEWPORT, PHONE_VIEWPORT], ids=["desktop", "phone"])
def test_large_text_mode_draws_bigger_and_keeps_every_table_open(live_server, open_page, viewport):
    recording = open_page(viewport=viewport)
    page = recording.page
    problems = watch_console(page)
    recording.context.add_cookies([{"name": "lianluo_elder", "value": "1", "url": live_server.url}])
    page.goto(live_server.url + "/test-charts/public/")
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    for figure_id in ["chart-received", "chart-closing", "chart-standing"]:
        expect(page.locator(f"#{figure_id} canvas")).to_have_count(1)
        assert chart_state(page, figure_id)["fontSize"] == 20
        assert is_visually_shown(page, f"#{figure_id} .lianluo-chart__data")
    expect(page.get_by_role("button", name="查看数据表")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT_DIR / f"charts-large-text-{viewport['width']}.png", full_page=True)
    assert_no_serious_axe_violations(page, "charts in the large-text mode")
    assert problems == []
    assert_stayed_on_live_server(recording, live_server)


def test_big_screen_clock_runs_and_the_page_refreshes_unless_paused(live_server, open_page):
    page = open_page(viewport=BIG_SCREEN).page
    page.clock.install()
    page.goto(live_server.url + "/test-charts/big-screen/?refresh=30&never=1")
    page.wait_for_load_state("load")
    expect(page.locator("[data-computed-at]")).to_have_text("尚未统计")
    clock = page.locator("[data-clock]")
    expect(clock).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"))
    before = clock.text_content()
    page.clock.run_for(2000)
    expect(clock).not_to_have_text(before)

    with page.expect_navigation():
        page.clock.run_for(31_000)
    page.wait_for_load_state("load")

    pause = page.get_by_role("button", name="暂停自动刷新")
    pause.click()
    expect(pause).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-refresh-state]")).to_have_text("自动刷新已暂停")
    page.evaluate("window.__stillHere = true")
    page.clock.run_for(65_000)
    assert page.evaluate("window.__stillHere === true")
