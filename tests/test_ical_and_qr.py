"""Reception days as an iCalendar feed that calendar apps import, and QR codes for 亮码接待."""

import datetime as dt
import re
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

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
