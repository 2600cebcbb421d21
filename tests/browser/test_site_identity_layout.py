"""The site's identity (logo, name, organiser, contact line, filing numbers) fits a phone in
the large-text mode, passes axe, and the uploaded logo and deputies' photos load from the
platform's own host."""

import pytest
from playwright.sync_api import expect

from django.urls import reverse

from content.site_settings import SiteIdentity
from tests.browser.test_public_walkthrough import (  # noqa: F401
    assert_no_serious_axe_violations,
    assert_stayed_on_live_server,
    district,
    make_image,
    switch_on_elder_mode,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def identity_with_logo(district):  # noqa: F811
    identity = SiteIdentity.objects.get(site__is_default_site=True)
    identity.logo = make_image("区徽", (400, 400))
    identity.save()
    return district


@pytest.mark.parametrize("width", [320, 1280])
def test_header_and_footer_fit_and_load_nothing_foreign(live_server, identity_with_logo, open_page, width):
    recording = open_page(viewport={"width": width, "height": 800})
    page = recording.page
    page.goto(live_server.url + "/")
    switch_on_elder_mode(page)
    too_wide = []
    for path in ("/", reverse("accessibility"), reverse("deputy_list"), identity_with_logo["point"].url):
        page.goto(live_server.url + path)
        expect(page.locator(".brand-name")).to_have_text("上城区人大代表联络站")
        expect(page.locator(".site-footer")).to_contain_text("主办单位：上城区人大常委会")
        # Every image (the uploaded logo, the deputy's photo) arrived.
        broken = page.evaluate("[...document.images].filter(i => i.complete && i.naturalWidth === 0).map(i => i.src)")
        assert broken == [], (path, broken)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            too_wide.append(f"{path} (+{overflow}px)")
    assert too_wide == [], f"wider than {width}px: {too_wide}"
    logo = page.locator("img.brand-logo")
    assert "/media/images/" in logo.get_attribute("src")
    assert logo.evaluate("i => i.naturalHeight") == 96
    assert_no_serious_axe_violations(page, f"identity-{width}")
    assert_stayed_on_live_server(recording, live_server)
