"""The reception calendars under the versioned API paths: the same events as the public feeds,
described in the OpenAPI document, with JSON errors."""

import datetime as dt

import pytest
from icalendar import Calendar

from django.urls import reverse

from tests.test_ical_and_qr import station_with_schedules, two_stations_on_duty  # noqa: F401

pytestmark = pytest.mark.django_db

FIELDS = ("uid", "dtstart", "dtend", "summary", "description", "location", "url")


def events(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = [
        tuple(str(event.get(name)) for name in FIELDS) for event in Calendar.from_ical(response.content).walk("VEVENT")
    ]
    return sorted(found)


def test_a_stations_api_calendar_is_the_public_feed(client, two_stations_on_duty, fixed_today):  # noqa: F811
    fixed_today(dt.date(2026, 9, 25))
    station = two_stations_on_duty["station"]
    api = client.get(reverse("api:calendar_station", args=[station.pk]))
    assert api["Content-Disposition"] == f'inline; filename="station-{station.pk}.ics"'
    assert events(api) == events(client.get(station.url + "calendar/"))
    assert any("因国庆节由10月2日顺延" in event[4] for event in events(api))


def test_a_deputys_and_the_districts_api_calendars_are_the_public_feeds(
    client,
    two_stations_on_duty,  # noqa: F811
    deputy,
    fixed_today,
):
    fixed_today(dt.date(2026, 9, 25))
    pairs = [
        (reverse("api:calendar_deputy", args=[deputy.pk]), reverse("deputy_ics", args=[deputy.pk])),
        (reverse("api:calendar_district"), reverse("district_ics")),
        (reverse("api:calendar_district") + "?street=qingbo", reverse("district_ics") + "?street=qingbo"),
    ]
    for api_url, public_url in pairs:
        found = events(client.get(api_url))
        assert found and found == events(client.get(public_url)), api_url
    one_street = events(client.get(reverse("api:calendar_district") + "?street=qingbo"))
    assert {event[3].split("·")[-1] for event in one_street} == {"清波联络站"}


def test_missing_calendars_answer_json_errors_in_chinese(client, tree, deputy):
    deputy.is_active = False
    deputy.save()
    draft_like = tree["point"]
    draft_like.unpublish()
    for url, message in (
        (reverse("api:calendar_district") + "?street=nowhere", "没有找到这个街道"),
        (reverse("api:calendar_deputy", args=[deputy.pk]), "没有找到这位代表"),
        (reverse("api:calendar_station", args=[draft_like.pk]), "没有找到这个联络站"),
        (reverse("api:calendar_station", args=[987654]), "没有找到这个联络站"),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"code": 404, "message": message, "detail": None}


def test_the_calendars_are_in_the_openapi_description_as_text_calendar(client, db):
    paths = client.get(reverse("api:schema") + "?format=json").json()["paths"]
    for path in (
        "/api/v1/calendars/stations/{id}.ics",
        "/api/v1/calendars/deputies/{id}.ics",
        "/api/v1/calendars/district.ics",
    ):
        operation = paths[path]["get"]
        assert list(operation["responses"]["200"]["content"]) == ["text/calendar"]
        assert operation["responses"]["404"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ApiError"
        }
    parameters = paths["/api/v1/calendars/district.ics"]["get"]["parameters"]
    assert [(p["name"], p["in"]) for p in parameters] == [("street", "query")]
