"""Reception days as an iCalendar feed that calendar apps import, and QR codes for 亮码接待."""

import datetime as dt
import re
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from content.models import HolidayRule, Membership, ReceptionSchedule, Recurrence

pytestmark = pytest.mark.django_db


@pytest.fixture
def station_with_schedules(tree, deputy):
    station = tree["station"]
    Membership.objects.create(station=station, deputy=deputy, role="head")
    monthly = ReceptionSchedule.objects.create(
        station=station,
        title="代表联系服务群众日",
        week_of_month=1,
        weekday=4,
        holiday_rule=HolidayRule.POSTPONE_WEEK,
        start_time=dt.time(9),
        end_time=dt.time(11, 30),
    )
    monthly.duty_deputies.add(deputy)
    monthly.save()
    ReceptionSchedule.objects.create(
        station=station,
        title="专题接待",
        recurrence=Recurrence.ONCE,
        date=dt.date(2026, 10, 20),
        start_time=dt.time(14),
        end_time=dt.time(16),
    )
    return station


def test_ics_feed_parses_and_its_dates_match_the_page(client, station_with_schedules, fixed_today):
    fixed_today(dt.date(2026, 9, 25))
    station = station_with_schedules
    response = client.get(station.url + "calendar/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")

    calendar = Calendar.from_ical(response.content)
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    starts = [e.decoded("dtstart") for e in events]
    assert starts[0] == dt.datetime(2026, 10, 9, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert starts[1] == dt.datetime(2026, 10, 20, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert "王秀英" in str(events[0].get("description"))
    assert "国庆节" in str(events[0].get("description"))
    assert str(events[0].get("location")) == "东平巷12号"
    assert len({str(e.get("uid")) for e in events}) == len(events)  # stable, unique UIDs

    page_dates = re.findall(r'data-reception-date="([\d-]+)"', client.get(station.url).content.decode())
    feed_dates = [s.date().isoformat() for s in starts]
    assert page_dates == feed_dates[: len(page_dates)]
    assert len(page_dates) == 6


def test_station_page_links_to_its_calendar_feed(client, tree):
    assert tree["station"].url + "calendar/" in client.get(tree["station"].url).content.decode()


def test_station_qr_code_is_an_svg_that_encodes_the_station_url(client, tree):
    response = client.get(tree["station"].url + "qr/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = ET.fromstring(response.content)
    assert svg.tag.endswith("svg")
    assert "http://testserver" + tree["station"].url + "?src=qr" in response.content.decode()  # in the SVG <title>


def test_printable_station_card_shows_qr_and_name(client, station_with_schedules):
    html = client.get(station_with_schedules.url + "card/").content.decode()
    assert "<svg" in html and "东平巷代表联络站" in html and "王秀英" in html


def test_deputy_qr_code_and_printable_card(client, deputy):
    response = client.get(reverse("deputy_qr", args=[deputy.pk]))
    assert response["Content-Type"] == "image/svg+xml"
    assert f"http://testserver/deputies/{deputy.pk}/" in response.content.decode()
    card = client.get(reverse("deputy_card", args=[deputy.pk])).content.decode()
    assert "<svg" in card and "王秀英" in card


def _events(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    return sorted(Calendar.from_ical(response.content).walk("VEVENT"), key=lambda e: e.decoded("dtstart"))


@pytest.fixture
def two_stations_on_duty(two_streets, station_with_schedules, deputy):
    """The deputy on duty at a second station in the other street; another deputy's schedule there."""
    other = two_streets["other_station"]
    weekly = ReceptionSchedule.objects.create(
        station=other,
        title="周三接待",
        recurrence=Recurrence.WEEKLY,
        weekday=2,
        start_time=dt.time(15),
        end_time=dt.time(17),
    )
    weekly.duty_deputies.add(deputy)
    weekly.save()  # a ParentalManyToManyField is written with its row
    ReceptionSchedule.objects.create(
        station=other, title="另一位代表的接待", recurrence=Recurrence.ONCE, date=dt.date(2026, 10, 21)
    )
    return {"station": station_with_schedules, "other": other}


def test_a_deputys_feed_holds_their_duties_at_every_station_with_the_stations_uids(
    client, two_stations_on_duty, deputy, fixed_today
):
    fixed_today(dt.date(2026, 9, 25))
    station = two_stations_on_duty["station"]
    page = client.get(reverse("deputy_detail", args=[deputy.pk])).content.decode()
    assert reverse("deputy_ics", args=[deputy.pk]) in page
    events = _events(client.get(reverse("deputy_ics", args=[deputy.pk])))
    summaries = {str(e.get("summary")) for e in events}
    assert summaries == {
        "代表联系服务群众日·东平巷代表联络站",
        "周三接待·清波联络站",
    }  # not the other deputy's, not 专题接待
    october = next(e for e in events if str(e.get("summary")).startswith("代表联系"))
    assert "因国庆节由10月2日顺延" in str(october.get("description"))
    station_uids = {str(e.get("uid")) for e in _events(client.get(station.url + "calendar/"))}
    assert str(october.get("uid")) in station_uids  # the same reception, the same UID in every feed
    again = {str(e.get("uid")) for e in _events(client.get(reverse("deputy_ics", args=[deputy.pk])))}
    assert again == {str(e.get("uid")) for e in events}


def test_the_district_feed_covers_three_months_of_every_station_or_one_street(
    client, two_stations_on_duty, fixed_today
):
    fixed_today(dt.date(2026, 9, 25))
    events = _events(client.get(reverse("district_ics")))
    starts = [e.decoded("dtstart").date() for e in events]
    assert min(starts) >= dt.date(2026, 9, 25) and max(starts) <= dt.date(2026, 12, 26)
    stations = {str(e.get("summary")).split("·")[-1] for e in events}
    assert stations == {"东平巷代表联络站", "清波联络站"}
    street = two_stations_on_duty["other"].street
    one = _events(client.get(reverse("district_ics") + f"?street={street.slug}"))
    assert {str(e.get("summary")).split("·")[-1] for e in one} == {"清波联络站"}
    assert client.get(reverse("district_ics") + "?street=nowhere").status_code == 404
    assert reverse("district_ics") in client.get(reverse("deputy_list")).content.decode()


def test_the_feeds_cost_the_same_queries_for_few_or_many_schedules(client, two_stations_on_duty, deputy):
    urls = [reverse("district_ics"), reverse("deputy_ics", args=[deputy.pk])]

    def counts():
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    counts()  # warm up: the site's root paths are cached on first use
    before = counts()
    for station in (two_stations_on_duty["station"], two_stations_on_duty["other"]):
        for weekday in range(5):
            schedule = ReceptionSchedule.objects.create(
                station=station, title=f"接待{weekday}", recurrence=Recurrence.WEEKLY, weekday=weekday
            )
            schedule.duty_deputies.add(deputy)
            schedule.save()
    assert counts() == before
