"""A resident's walk through the public site in headless Chromium.

From the district home page down the station tree to a contact point by real clicks, the
elder-friendly large-text mode, keyboard access, axe-core accessibility checks and the layout
on a phone. Every page must be served entirely by our own server: no CDN, web font or
analytics request may leave it.
"""

import io
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image as PILImage
from playwright.sync_api import Page, expect

from django.core.files.images import ImageFile
from django.urls import reverse

from wagtail.images import get_image_model

from content.demo.identity import fill_site_identity
from content.models import (
    CentreStationPage,
    ContactPointPage,
    Deputy,
    GeneralStationPage,
    HolidayRule,
    LiaisonStationPage,
    Membership,
    MembershipRole,
    ReceptionSchedule,
    Recurrence,
    StationPhoto,
    Street,
)
from content.tree import add_station, district_home
from tests.browser.conftest import DESKTOP_VIEWPORT, PHONE_VIEWPORT

# transaction=True: the live server thread must see the committed test data.
# serialized_rollback=True: the flush after each test would otherwise also delete the home page
# and Site row that migrations create, which other tests (and the next one here) rely on.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOT_DIR = Path("/tmp/lianluo-screenshots")
DEPUTY_NAME = "王秀英"


def make_image(title: str, size: tuple[int, int]):
    """A plain PNG in the image library, so the photo markup (alt text, layout) is exercised."""
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (188, 160, 150)).save(buffer, format="PNG")
    return get_image_model().objects.create(title=title, file=ImageFile(buffer, name=f"{title}.png"))


@pytest.fixture
def district(live_server):
    """总站 → 中心站 → 联络站 → 联络点, with a deputy heading the contact point.

    Tests list it before `open_page`, so the data is written before the browser starts.
    """
    home = district_home()
    assert home is not None, "the district home page from migration 0003 is missing"
    street = Street.objects.create(name="湖滨街道", slug="hubin")
    general = add_station(home, GeneralStationPage(title="区人大代表联络总站", slug="zongzhan", address="解放路1号"))
    centre = add_station(
        general,
        CentreStationPage(title="湖滨街道人大代表联络中心站", slug="hubin", street=street, address="东坡路8号"),
    )
    station = add_station(
        centre, LiaisonStationPage(title="东平巷代表联络站", slug="dongpingxiang", address="东平巷12号")
    )
    point = add_station(
        station,
        ContactPointPage(
            title="东平巷网格联络点",
            slug="dongping-grid",
            address="东平巷12号2单元",
            opening_hours="工作日 9:00–17:00",
            phone="0571-87001234",
            intro="小区停车难、加装电梯，都可以来这里找代表。",
        ),
    )
    deputy = Deputy.objects.create(
        name=DEPUTY_NAME,
        photo=make_image("王秀英", (240, 300)),
        congress_level="district",
        term="第十八届",
        occupation="东平巷社区居委会主任",
        public_phone="0571-87005678",
        biography="长期从事社区工作。",
    )
    StationPhoto.objects.create(station=point, image=make_image("联络点外景", (640, 400)), caption="联络点外景")
    Membership.objects.create(station=point, deputy=deputy, role=MembershipRole.HEAD, duty_phone="0571-87001234")
    schedule = ReceptionSchedule.objects.create(
        station=point,
        title="代表联系服务群众日",
        recurrence=Recurrence.MONTHLY,
        week_of_month=1,
        weekday=4,  # Friday
        holiday_rule=HolidayRule.POSTPONE_WEEK,
    )
    schedule.duty_deputies.add(deputy)
    schedule.save()  # ParentalManyToManyField changes are only written on save
    # Publish again, as an editor would after adding deputies on the page's 代表 tab, so the
    # live revision carries the memberships and the reception schedule.
    point = ContactPointPage.objects.get(pk=point.pk)
    point.save_revision().publish()
    point.refresh_from_db()

    # A full header and footer (站点标识): organiser, contact line, filing numbers, a long e-mail.
    fill_site_identity(lambda message: None)

    # Pages must come from the live server's own host: the migration's default Site
    # (localhost:80) matches any host that has no Site of its own.
    assert home.get_site().is_default_site
    # What the server will show as the next reception date (holidays applied), worked out here
    # so the test body makes no database calls while the browser runs.
    upcoming = point.upcoming_receptions()
    assert upcoming, "the monthly schedule should always give an upcoming date"
    return {
        "home": home,
        "general": general,
        "centre": centre,
        "station": station,
        "point": point,
        "deputy": deputy,
        "next_reception": upcoming[0].date,
    }


def absolute(live_server, path: str) -> str:
    return live_server.url + path


def assert_stayed_on_live_server(recording, live_server):
    foreign = recording.foreign_requests(live_server.url)
    assert not foreign, f"pages requested resources outside the live server: {foreign}"


def assert_no_serious_axe_violations(page: Page, label: str):
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    report = "\n".join(
        f"- [{v['impact']}] {v['id']}: {v['help']}\n"
        + "\n".join(f"    {node['target']}: {node['html'][:160]}" for node in v["nodes"])
        for v in serious
    )
    assert not serious, f"axe found serious accessibility problems on {label}:\n{report}"


def click_through(page: Page, title: str):
    """Click the link to a station inside <main>, as a resident would, and wait for its page."""
    page.locator("main").get_by_role("link", name=title, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def root_font_size(page: Page) -> float:
    # After a form post the new document can show its <html> before site.css has loaded;
    # measuring then would read the browser default. "load" waits for the stylesheet.
    page.wait_for_load_state("load")
    return float(page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)"))


def switch_on_elder_mode(page: Page):
    page.get_by_role("button", name="大字模式").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    page.wait_for_load_state("load")  # colours and sizes are checked next: wait for the CSS


def test_resident_clicks_down_the_tree_to_the_contact_point(live_server, district, open_page):
    recording = open_page()
    page = recording.page
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(district["home"].title)

    for level in ("general", "centre", "station", "point"):
        click_through(page, district[level].title)
        expect(page).to_have_url(absolute(live_server, district[level].url))

    # The deputy on the wall, with their role and a link to their profile.
    wall = page.get_by_role("region", name=re.compile("墙上代表"))
    expect(wall.get_by_role("link", name=DEPUTY_NAME)).to_be_visible()
    expect(wall.get_by_text("站长")).to_be_visible()

    # The next reception date is the one the server computes (holidays applied).
    next_date = district["next_reception"]
    first = page.locator("[data-reception-date]").first
    expect(first).to_have_attribute("data-reception-date", next_date.isoformat())
    expect(first).to_contain_text(f"{next_date.year}年{next_date.month}月{next_date.day}日")
    expect(first).to_contain_text(DEPUTY_NAME)

    assert_stayed_on_live_server(recording, live_server)


def test_elder_mode_enlarges_text_and_persists_across_pages(live_server, district, open_page):
    recording = open_page()
    page = recording.page
    page.goto(absolute(live_server, district["point"].url))
    html = page.locator("html")
    expect(html).not_to_have_class(re.compile(r"\belder\b"))
    normal_size = root_font_size(page)

    toggle = page.get_by_role("button", name="大字模式")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()

    # The form posts, then redirects back to the same page with the cookie set.
    expect(html).to_have_class(re.compile(r"\belder\b"))
    expect(page).to_have_url(absolute(live_server, district["point"].url))
    expect(page.get_by_role("button", name="大字模式")).to_have_attribute("aria-pressed", "true")
    assert root_font_size(page) > normal_size * 1.2

    # The setting is a cookie, so it follows the resident to the next page.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="找代表").click()
    expect(page).to_have_url(absolute(live_server, reverse("deputy_list")))
    expect(html).to_have_class(re.compile(r"\belder\b"))
    assert root_font_size(page) > normal_size * 1.2

    # And it can be switched off again.
    page.get_by_role("button", name="大字模式").click()
    expect(html).not_to_have_class(re.compile(r"\belder\b"))
    assert root_font_size(page) == normal_size

    assert_stayed_on_live_server(recording, live_server)


def test_public_pages_have_no_serious_axe_violations(live_server, district, open_page):
    recording = open_page()
    page = recording.page
    pages = {
        "home page": "/",
        "contact point page": district["point"].url,
        "liaison station page": district["station"].url,
        "deputy profile": reverse("deputy_detail", args=[district["deputy"].pk]),
        "deputy list": reverse("deputy_list"),
        "search results": reverse("search") + "?q=" + DEPUTY_NAME,
        # Old addresses printed on QR cards end here.
        "page not found": "/no-such-station/",
    }
    for label, path in pages.items():
        page.goto(absolute(live_server, path))
        expect(page.locator("main h1")).to_be_visible()
        assert_no_serious_axe_violations(page, label)

    # The search must actually have found something, or the results markup went unchecked.
    page.goto(absolute(live_server, pages["search results"]))
    expect(page.get_by_role("status")).to_contain_text("共找到")
    expect(page.locator("main").get_by_role("link", name=DEPUTY_NAME)).to_be_visible()

    # Large-text mode changes colours and sizes: check the station page again with it on.
    page.goto(absolute(live_server, district["point"].url))
    switch_on_elder_mode(page)
    assert_no_serious_axe_violations(page, "contact point page in elder mode")

    assert_stayed_on_live_server(recording, live_server)


def test_skip_link_is_the_first_tab_stop_and_focuses_main(live_server, district, open_page):
    page = open_page().page
    page.goto(absolute(live_server, district["point"].url))
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="跳到正文")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()  # shown on focus for sighted keyboard users
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.parametrize(
    ("name", "viewport", "elder"),
    [
        ("phone", PHONE_VIEWPORT, False),
        ("phone-elder", PHONE_VIEWPORT, True),
        ("desktop", DESKTOP_VIEWPORT, False),
    ],
)
def test_pages_fit_the_screen(live_server, district, open_page, name, viewport, elder):
    """Nothing may force sideways scrolling; contact point screenshots go to /tmp for a human look."""
    recording = open_page(viewport=viewport)
    page = recording.page
    page.goto(live_server.url + "/")
    if elder:
        switch_on_elder_mode(page)
    paths = [
        "/",
        district["point"].url,
        reverse("deputy_detail", args=[district["deputy"].pk]),
        reverse("deputy_list"),
        reverse("search") + "?q=" + DEPUTY_NAME,
    ]
    for path in paths:
        page.goto(absolute(live_server, path))
        expect(page.locator("main h1")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name}: {path} is {overflow}px wider than the screen"

    page.goto(absolute(live_server, district["point"].url))
    expect(page.locator("[data-reception-date]").first).to_be_visible()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"contact-point-{name}.png"), full_page=True)
    assert_stayed_on_live_server(recording, live_server)
