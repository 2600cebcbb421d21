"""iCalendar (RFC 5545) feeds of reception days, for import into any calendar app: one
station's (`<station>/calendar/`), one deputy's duty days across their stations
(`/deputies/<id>/calendar.ics`), and the whole district's (`/calendar.ics`, or one street's
with `?street=<slug>`).

Every feed writes the same event for the same reception: its UID is the schedule and the date
the rule gives before holidays (`reception-<schedule>-<yyyymmdd>@lianluo`), so a reception moved
by a holiday keeps its UID and a subscribed calendar moves it instead of adding a second one;
the description says why it moved (因国庆节由10月2日顺延).
"""

import datetime as dt

from icalendar import Calendar, Event

from django.utils import timezone

from content.reception import occurrences_between

FEED_DAYS = 366  # a station's and a deputy's feeds: the year ahead
DISTRICT_FEED_DAYS = 92  # the district's feed (hundreds of stations): the next three months


def _calendar(name: str, occurrences, request) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Lianluo//人大代表联络站接待日//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    stamp = timezone.now()
    for occ in occurrences:
        station = occ.schedule.station
        event = Event()
        event.add("uid", occ.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", occ.start)
        event.add("dtend", occ.end)
        event.add("summary", f"{occ.schedule.title}·{station.title}")
        names = "、".join(d.name for d in occ.deputies)
        lines = [occ.schedule.describe()]
        if names:
            lines.append(f"值班代表：{names}")
        if occ.postponed:
            lines.append(f"因{occ.holiday_name}由{occ.nominal_date:%-m月%-d日}顺延")
        if occ.schedule.note:
            lines.append(occ.schedule.note)
        event.add("description", "\n".join(lines))
        if station.address:
            event.add("location", station.address)
        event.add("url", request.build_absolute_uri(station.get_url(request)))
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _ahead(schedules, days: int):
    today = timezone.localdate()
    return occurrences_between(schedules, today, today + dt.timedelta(days=days))


def station_calendar(station, request) -> bytes:
    schedules = list(station.reception_schedules.all().prefetch_related("duty_deputies"))
    return _calendar(f"{station.title} 代表接待日", _ahead(schedules, FEED_DAYS), request)


def schedules_calendar(name: str, schedules, request, days: int = FEED_DAYS) -> bytes:
    """A feed of the given schedules (with their stations and duty deputies fetched): a
    deputy's (content.views.deputy_ics) or the district's (content.views.district_ics)."""
    return _calendar(name, _ahead(list(schedules), days), request)
