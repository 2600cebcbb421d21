"""Station and deputy pages cost a fixed number of SQL queries, however many deputies they show."""

import datetime as dt

import pytest

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file

from content.models import ActivityPage, ContactPointPage, Membership, ReceptionSchedule
from content.tree import add_station
from tests.conftest import make_deputy
from tests.shared_base import shared_fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def _uncached_with_one_media_root(tmp_path_factory):
    """These tests count what rendering a page costs: the public page cache stays out of it.

    The stations below are built once and shared by the tests (tests/shared_base.py), so the
    deputies' photos they write must stay for the tests after the first: one media root for
    the module. Set for the module, before any test's district is built."""
    root = tmp_path_factory.mktemp("query-budgets")
    with override_settings(
        LIANLUO_PAGE_CACHE_SECONDS=0, MEDIA_ROOT=root / "media", LIANLUO_PRIVATE_MEDIA_ROOT=root / "private"
    ):
        yield


@pytest.fixture
def _media_root():
    """Replaces conftest's per-test media root with the module's one above."""


def count_queries(client, url):
    client.get(url)  # first render creates image renditions once; measure the steady state
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def staff_station(station, n_deputies, n_children, prefix):
    deputies = []
    for i in range(n_deputies):
        photo = Image.objects.create(title=f"{prefix}{i}", file=get_test_image_file(f"{prefix}{i}.png"))
        deputy = make_deputy(f"{prefix}代表{i}", photo=photo)
        Membership.objects.create(station=station, deputy=deputy, role="resident" if i else "head", sort_order=i)
        deputies.append(deputy)
    rule = ReceptionSchedule.objects.create(station=station, week_of_month=3, weekday=1)
    rule.duty_deputies.set(deputies)
    rule.save()
    ReceptionSchedule.objects.create(station=station, recurrence="weekly", weekday=3)
    for i in range(n_children):
        add_station(station, ContactPointPage(title=f"{prefix}联络点{i}", slug=f"{prefix.lower()}-point-{i}"))
    for i in range(min(n_children, 8)):
        activity = ActivityPage(
            title=f"{prefix}活动{i}", slug=f"{prefix.lower()}-act-{i}", date=dt.date(2026, 5, i + 1)
        )
        station.add_child(instance=activity)
        activity.save_revision().publish()
    return deputies


@shared_fixture(base="tree")
def two_stations(tree):
    from content.models import LiaisonStationPage

    small = tree["station"]
    large = add_station(tree["centre"], LiaisonStationPage(title="大型联络站", slug="large"))
    small_deputies = staff_station(small, 1, 1, "S")
    large_deputies = staff_station(large, 50, 20, "L")
    return {"small": small, "large": large, "small_deputy": small_deputies[0], "large_deputy": large_deputies[0]}


def test_station_page_query_count_does_not_grow_with_deputies_or_child_stations(client, two_stations):
    small = count_queries(client, two_stations["small"].url)
    large = count_queries(client, two_stations["large"].url)
    assert small == large, (small, large)
    # One query finds the site and its home page (content.sites); one routes to the station with
    # its street, facilities, the view restrictions on its way, its breadcrumbs and the site
    # identity (站点标识); one reads the child stations with the latest activities; one the wall
    # with the photos' renditions; one the reception rules with their duty deputies and the
    # holiday calendar; one the station photos; and one each the other apps' sections (议题讨论,
    # 民生实事, 立法征询, 居民议事, 办理结果, 站点评星). 12 today.
    assert large <= 12


def test_deputy_page_query_count_does_not_grow_with_stations_or_duties(client, two_stations):
    # Give the large station's deputy many more memberships and duties.
    from content.models import StationPage

    busy = two_stations["large_deputy"]
    for station in StationPage.objects.filter(level="point")[:15]:
        Membership.objects.create(station=station, deputy=busy, role="liaison")
        rule = ReceptionSchedule.objects.create(station=station, week_of_month=2, weekday=2)
        rule.duty_deputies.add(busy)
        rule.save()
    quiet = count_queries(client, reverse("deputy_detail", args=[two_stations["small_deputy"].pk]))
    loaded = count_queries(client, reverse("deputy_detail", args=[busy.pk]))
    assert quiet == loaded
    assert loaded <= 12


def test_deputy_list_query_count_is_fixed(client, two_stations):
    assert count_queries(client, reverse("deputy_list")) <= 8
