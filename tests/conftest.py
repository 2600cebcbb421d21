"""Shared fixtures: a small district built with the same helpers the demo uses."""

import datetime as dt

import pytest

from content.models import (
    CentreStationPage,
    ContactPointPage,
    Deputy,
    GeneralStationPage,
    LiaisonStationPage,
    Street,
)
from content.tree import add_station, district_home


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (Redis keeps keys between tests and runs)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def home(db):
    return district_home()


@pytest.fixture
def street(db):
    return Street.objects.create(name="湖滨街道", slug="hubin")


@pytest.fixture
def tree(home, street):
    """总站 → 中心站 → 联络站 → 联络点, all published."""
    general = add_station(home, GeneralStationPage(title="区人大代表联络总站", slug="zongzhan", address="解放路1号"))
    centre = add_station(
        general,
        CentreStationPage(
            title="湖滨街道人大代表联络中心站",
            slug="hubin",
            street=street,
            address="东坡路8号",
            latitude=30.25,
            longitude=120.16,
        ),
    )
    station = add_station(
        centre,
        LiaisonStationPage(
            title="东平巷代表联络站", slug="dongpingxiang", address="东平巷12号", intro="小区停车难、加装电梯"
        ),
    )
    point = add_station(station, ContactPointPage(title="东平巷网格联络点", slug="dongping-grid"))
    return {"home": home, "general": general, "centre": centre, "station": station, "point": point}


def make_deputy(name="王秀英", level="district", **extra) -> Deputy:
    return Deputy.objects.create(name=name, congress_level=level, term="第十八届", **extra)


@pytest.fixture
def deputy(db):
    return make_deputy()


@pytest.fixture
def fixed_today(monkeypatch):
    """Pin "today" for pages and feeds: returns a setter."""

    def pin(day: dt.date):
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: day)
        return day

    return pin
