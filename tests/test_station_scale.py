"""A district of any size: the station page and the deputy directory cost the same number of
queries whatever the number of stations and deputies, and the cheaper routing still honours
what Wagtail's routing honours (view restrictions on a page or an ancestor, facilities,
activities and child stations in their order)."""

import datetime as dt

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wagtail.models import PageViewRestriction

from content.models import (
    ActivityPage,
    CentreStationPage,
    ContactPointPage,
    Facility,
    LiaisonStationPage,
    Membership,
    ReceptionSchedule,
    Street,
)
from content.tree import add_station
from tests.conftest import make_deputy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uncached(settings):
    """These tests count what rendering a page costs: the public page cache stays out of it."""
    settings.LIANLUO_PAGE_CACHE_SECONDS = 0


def count_queries(client, url):
    client.get(url)  # warm: site root paths, renditions
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def add_streets(general, count, prefix):
    """`count` more stations elsewhere in the district: centre stations with a station and a point."""
    added = 0
    for i in range(count):
        street = Street.objects.create(name=f"{prefix}街道{i}", slug=f"{prefix}-street-{i}")
        centre = add_station(
            general, CentreStationPage(title=f"{prefix}中心站{i}", slug=f"{prefix}-c{i}", street=street)
        )
        station = add_station(centre, LiaisonStationPage(title=f"{prefix}联络站{i}", slug=f"{prefix}-s{i}"))
        add_station(station, ContactPointPage(title=f"{prefix}联络点{i}", slug=f"{prefix}-p{i}"))
        added += 3
    return added


@pytest.fixture
def busy_station(tree):
    station = tree["station"]
    deputies = [make_deputy(f"驻站代表{i}") for i in range(3)]
    for i, deputy in enumerate(deputies):
        Membership.objects.create(station=station, deputy=deputy, role="head" if i == 0 else "resident")
    rule = ReceptionSchedule.objects.create(station=station, week_of_month=3, weekday=1)
    rule.duty_deputies.set([*deputies[:2], make_deputy("不在墙上的值班代表")])
    rule.save()
    for i in range(3):
        activity = ActivityPage(title=f"活动{i}", slug=f"act-{i}", date=dt.date(2026, 3, i + 1))
        station.add_child(instance=activity)
        activity.save_revision().publish()
    return station


def test_station_page_queries_do_not_grow_with_the_number_of_stations(client, tree, busy_station):
    url = busy_station.url
    few = count_queries(client, url)  # 4 stations in the district
    add_streets(tree["general"], 16, "more")  # 52 stations
    many = count_queries(client, url)
    assert few == many, (few, many)
    assert many <= 12  # 11, and the station's latest star rating (oversight.evaluation_public)


def test_contact_point_and_centre_station_pages_cost_the_same_queries(client, tree, busy_station):
    # The routing builds every station level from its row; deeper pages cost no more.
    assert count_queries(client, tree["point"].url) <= 11  # points are not evaluated: no star query
    assert count_queries(client, tree["centre"].url) <= 12


def test_deputy_directory_queries_do_not_grow_with_the_number_of_deputies(client, db):
    for i in range(10):
        make_deputy(f"代表甲{i:03d}")
    few = count_queries(client, reverse("deputy_list"))
    for i in range(90):
        make_deputy(f"代表乙{i:03d}", level="street" if i % 2 else "district")
    many = count_queries(client, reverse("deputy_list"))
    assert few == many, (few, many)
    response = client.get(reverse("deputy_list"), {"page": 2})
    assert response.status_code == 200
    assert "第 2 / 3 页" in response.content.decode()


def test_a_view_restriction_on_an_ancestor_still_applies(client, tree):
    PageViewRestriction.objects.create(page=tree["centre"], restriction_type=PageViewRestriction.LOGIN)
    response = client.get(tree["station"].url)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_view_restriction_on_the_station_itself_still_applies(client, tree):
    PageViewRestriction.objects.create(page=tree["point"], restriction_type=PageViewRestriction.LOGIN)
    assert client.get(tree["point"].url).status_code == 302
    assert client.get(tree["station"].url).status_code == 200


def test_station_page_shows_facilities_activities_and_duty_deputies_off_the_wall(client, busy_station, fixed_today):
    first, second = (
        Facility.objects.create(name="有场所", sort_order=1),
        Facility.objects.create(name="有制度", sort_order=2),
    )
    busy_station.facilities.set([second, first])
    busy_station.save_revision().publish()
    html = client.get(busy_station.url).content.decode()
    assert html.index("有场所") < html.index("有制度")
    assert html.index("活动2") < html.index("活动1") < html.index("活动0")  # newest first
    assert "东平巷网格联络点" in html  # the child station
    assert "不在墙上的值班代表" in html  # a duty deputy who is not on the wall
    assert "湖滨街道" in html  # the street badge (read with the page)


def test_unknown_path_below_a_station_is_404(client, tree):
    assert client.get(tree["station"].url + "no-such-page/").status_code == 404
    assert client.get("/no-such-station/").status_code == 404
