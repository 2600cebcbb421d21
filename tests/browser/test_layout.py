"""Every public page fits a phone: no sideways scrolling at 320, 390 and 768 px wide, in the
normal and the large-text mode (a long link, such as the receipt's rating link, wraps)."""

import pytest
from playwright.sync_api import expect

from django.urls import reverse

from tests.browser.test_public_walkthrough import DEPUTY_NAME, district, switch_on_elder_mode  # noqa: F401
from tests.conftest import new_opinion
from workflows.intake import rating_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDTHS = [320, 390, 768]


@pytest.fixture
def public_paths(district):  # noqa: F811
    opinion = new_opinion(district["station"])
    token = rating_token(opinion)
    station, point = district["station"], district["point"]
    return [
        "/",
        district["general"].url,
        district["centre"].url,
        station.url,
        point.url,
        point.url + "opinion/",
        point.url + "card/",
        reverse("opinion_new"),
        reverse("opinion_receipt", args=[token]),
        reverse("opinion_rate", args=[token]),
        reverse("opinion_status") + f"?receipt_no={opinion.receipt_no}",
        reverse("opinion_results"),
        reverse("deputy_list"),
        reverse("deputy_detail", args=[district["deputy"].pk]),
        reverse("deputy_card", args=[district["deputy"].pk]),
        reverse("search") + "?q=" + DEPUTY_NAME,
        # Results of every kind with highlighted snippets, the kind and street filters.
        reverse("search") + "?q=代表",
        reverse("search") + "?q=停车&street=" + str(district["station"].street_id),
    ]


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "large-text"])
@pytest.mark.parametrize("width", WIDTHS)
def test_no_public_page_scrolls_sideways(live_server, public_paths, open_page, width, elder):
    page = open_page(viewport={"width": width, "height": 800}).page
    if elder:
        page.goto(live_server.url + "/")
        switch_on_elder_mode(page)
    too_wide = []
    for path in public_paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        expect(page.locator("h1").first).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            too_wide.append(f"{path} (+{overflow}px)")
    assert too_wide == [], f"wider than {width}px: {too_wide}"
