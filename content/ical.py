"""iCalendar (RFC 5545) feeds of reception days, for import into any calendar app."""

import datetime as dt

from icalendar import Calendar, Event

from django.utils import timezone

from content.reception import occurrences_between

FEED_DAYS = 366


def station_calendar(station, request) -> bytes:
    today = timezone.localdate()
    schedules = list(station.reception_schedules.all().prefetch_related("duty_deputies"))
    occurrences = occurrences_between(schedules, today, today + dt.timedelta(days=FEED_DAYS))
    page_url = request.build_absolute_uri(station.url)

    cal = Calendar()
    cal.add("prodid", "-//Lianluo//人大代表联络站接待日//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{station.title} 代表接待日")
    cal.add("x-wr-timezone", "Asia/Shanghai")
    stamp = timezone.now()
    for occ in occurrences:
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
        event.add("url", page_url)
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
