"""The admin, like the public site, requests nothing from any host but the platform's own
(no gravatar.com avatars, no CDNs): staff screens work on an intranet and send no staff
member's data abroad."""

import pytest

from django.urls import reverse

from base.roles import Role, role_group_name
from tests.browser.conftest import DESKTOP_VIEWPORT
from tests.browser.test_opinion_flow import sign_in
from tests.conftest import new_opinion, role_user, station_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def admin_pages(two_streets):
    opinion = new_opinion(two_streets["station"])
    staff = station_user(two_streets["station"], "dongping-staff")
    staff.email = "staff@example.com"  # what an avatar service would be sent a hash of
    staff.save()
    role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN), email="admin@example.com")
    return [
        reverse("wagtailadmin_home"),
        reverse("opinions:list"),
        reverse("opinions:inspect", args=[opinion.pk]),
        reverse("station_staff_requests:index"),
        reverse("wagtailadmin_explore_root"),
        reverse("wagtailadmin_account"),
    ]


@pytest.mark.parametrize("username", ["dongping-staff", "district-admin"])
def test_admin_pages_request_nothing_from_other_hosts(live_server, admin_pages, open_page, username):
    recording = open_page(DESKTOP_VIEWPORT)
    sign_in(recording.page, live_server, username)
    for path in admin_pages:
        response = recording.page.goto(live_server.url + path)
        assert response.status < 400, path
        recording.page.wait_for_load_state("networkidle")
    assert recording.foreign_requests(live_server.url) == []
