"""In a real browser, the admin's screens drawn by script (the sidebar, the editor's panels,
the keyboard shortcuts dialog) are in Chinese too, under the platform's name and mark."""

import pytest

from django.conf import settings
from django.urls import reverse

from base.roles import Role, role_group_name
from tests.browser.conftest import DESKTOP_VIEWPORT
from tests.browser.test_opinion_flow import sign_in
from tests.conftest import new_opinion, role_user
from tests.test_admin_chinese import ALLOWED, english_words

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_admin_drawn_in_the_browser_is_in_chinese(live_server, two_streets, open_page):
    opinion = new_opinion(two_streets["station"])
    role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN))
    recording = open_page(DESKTOP_VIEWPORT)
    page = recording.page
    page.goto(live_server.url + reverse("wagtailadmin_login"))
    assert page.title() == f"登录 - {settings.WAGTAIL_SITE_NAME}"
    assert page.locator(".login-logo img[src$='img/logo.svg']").is_visible()
    sign_in(page, live_server, "district-admin")
    for path in [
        reverse("wagtailadmin_home"),
        reverse("wagtailadmin_pages:edit", args=[two_streets["station"].pk]),
        reverse("opinions:inspect", args=[opinion.pk]),
    ]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.title().endswith(f" - {settings.WAGTAIL_SITE_NAME}"), path
        assert page.locator("#wagtail-sidebar img[src$='img/logo.svg']").count() == 1, path
        page.keyboard.press("?")  # the keyboard shortcuts dialog
        shown = page.evaluate("() => document.body.innerText")
        assert english_words([shown], ALLOWED | {"district", "admin"}) == set(), path
        page.keyboard.press("Escape")
