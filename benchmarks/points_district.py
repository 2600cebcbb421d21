"""Bulk-made duty points data, shared by duty_points_bench.py and serve_bench.py's points target.

Deputies seated round-robin in given stations, and a year of verified duty records at those
stations, each with 1–3 of the station's deputies (the first one leads), spread over the
year's duty items and days. Bulk inserts: no history rows, revisions or search index, so
600 deputies and 60,000 records take seconds rather than the hours the real code would.
Call after django.setup().
"""

from __future__ import annotations

import datetime as dt
import random


def add_deputies(stations: list, count: int, prefix: str = "代表") -> dict:
    """`count` new district deputies named prefix + number, seated round-robin in `stations`
    (current memberships); returns {station: [the new deputies sitting there]}."""
    from content.models import Deputy, Membership

    deputies = Deputy.objects.bulk_create(
        Deputy(name=f"{prefix}{n:04d}", congress_level="district", term="第十八届") for n in range(count)
    )
    by_station = {station: [] for station in stations}
    memberships = []
    for n, deputy in enumerate(deputies):
        station = stations[n % len(stations)]
        by_station[station].append(deputy)
        memberships.append(Membership(station=station, deputy=deputy, sort_order=n))
    Membership.objects.bulk_create(memberships)
    return by_station


def verified_records(year: int) -> int:
    """The verified records that count towards `year`'s points (yearly_points' own filter)."""
    from duties.models import DutyRecord, RecordState

    return DutyRecord.objects.filter(state=RecordState.VERIFIED, item__scheme__year=year, date__year=year).count()


def add_records(by_station: dict, count: int, year: int, last_day: dt.date, seed: int = 1) -> int:
    """`count` verified staff records of `year`'s items dated 1 January … `last_day`, each at a
    station of `by_station` ({station: its deputies}) with 1–3 of its deputies; returns the
    number of participations made."""
    from duties.models import DutyItem, DutyParticipant, DutyRecord, ParticipantRole, RecordSource, RecordState

    rng = random.Random(seed)
    stations = [station for station, deputies in by_station.items() if deputies]
    items = list(DutyItem.objects.filter(scheme__year=year))
    if not stations or not items:
        raise ValueError(f"Nothing to record: {len(stations)} stations with deputies, {len(items)} items of {year}")
    first_day = dt.date(year, 1, 1)
    days = (last_day - first_day).days
    records, casts = [], []
    for _ in range(count):
        station = rng.choice(stations)
        seated = by_station[station]
        records.append(
            DutyRecord(
                item=rng.choice(items),
                date=first_day + dt.timedelta(days=rng.randint(0, days)),
                station=station,
                street_id=station.street_id,
                text="基准履职记录",
                source=RecordSource.STAFF,
                state=RecordState.VERIFIED,
            )
        )
        casts.append(rng.sample(seated, min(len(seated), rng.randint(1, 3))))
    records = DutyRecord.objects.bulk_create(records, batch_size=2000)
    participants = [
        DutyParticipant(record=record, deputy=deputy, role=ParticipantRole.LEAD if i == 0 else ParticipantRole.CO)
        for record, cast in zip(records, casts, strict=True)
        for i, deputy in enumerate(cast)
    ]
    DutyParticipant.objects.bulk_create(participants, batch_size=5000)
    return len(participants)
