"""Putting a draft under a contact point: designate the station, then publish the draft's
page (its consultation and articles follow the published page). Used by the demo district,
the benchmark and the tests; staff do the same in the page tree."""

from __future__ import annotations

from legislation.models import ContactPoint, DraftPage


def designate(station, designated_by: str = "省人大常委会法制工作委员会", **fields) -> ContactPoint:
    point, _created = ContactPoint.objects.get_or_create(
        station_id=station.pk, defaults={"designated_by": designated_by, **fields}
    )
    return point


def publish_draft(station, *, title: str, text: str, user=None, publisher=None, **fields) -> DraftPage:
    """A new draft page under the (designated) station, saved by `user` and published by
    `publisher` (the same person by default; station staff's pages are published by those
    who may publish); returns the live page."""
    page = DraftPage(title=title, text=text, **fields)
    station.add_child(instance=page)
    page.save_revision(user=user).publish(user=publisher or user)
    page.refresh_from_db()
    return page
