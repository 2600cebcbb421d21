"""The admin menu offers only what a person can open, in words they read."""

import json
import re

import pytest

from django.urls import reverse

from base.roles import Role, role_group_name
from tests.conftest import role_user, station_user, street_user

pytestmark = pytest.mark.django_db

DISTRICT_REPORTS = ("wagtailadmin_reports:site_history", "wagtailadmin_reports:page_types_usage")


def menu_of(client, user) -> str:
    """The admin home as the person sees it (the sidebar's items travel as JSON in the page)."""
    client.force_login(user)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    page = response.content.decode()
    props = re.search(r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', page, re.S)
    return json.dumps(json.loads(props.group(1)), ensure_ascii=False)


@pytest.mark.parametrize("who", ["street", "station"])
def test_street_and_station_staff_are_not_offered_district_reports_they_cannot_open(client, two_streets, street, who):
    user = street_user(street) if who == "street" else station_user(two_streets["station"])
    page = menu_of(client, user)
    for name in DISTRICT_REPORTS:
        url = reverse(name)
        assert url not in page, name
        assert client.get(url).status_code == 404  # and the report itself stays closed


def test_the_district_admin_keeps_them_and_the_workflow_reports_are_named_apart_from_the_settings(client, two_streets):
    page = menu_of(client, role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN)))
    for name in DISTRICT_REPORTS:
        assert reverse(name) in page
    assert "审核中的页面" in page and "审核任务进度" in page
