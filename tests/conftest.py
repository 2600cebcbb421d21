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
    settings.LIANLUO_PRIVATE_MEDIA_ROOT = tmp_path / "private"


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


PASSWORD = "a-long-passphrase-2026"


@pytest.fixture
def two_streets(tree, street):
    """The tree of 湖滨街道 plus a second street (清波街道) with one station; roles synced."""
    from django.core.management import call_command

    other = Street.objects.create(name="清波街道", slug="qingbo")
    other_centre = add_station(tree["general"], CentreStationPage(title="清波街道中心站", slug="qingbo", street=other))
    other_station = add_station(other_centre, LiaisonStationPage(title="清波联络站", slug="qingbo-station"))
    call_command("sync_roles", verbosity=0)
    return {**tree, "other_street": other, "other_centre": other_centre, "other_station": other_station}


def role_user(username, *group_names, **extra):
    """A user with a long password, in the named groups (a role group or a street group)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username, password=PASSWORD, **extra)
    for name in group_names:
        user.groups.add(Group.objects.get(name=name))
    return user


def street_user(street, username="hubin-secretary"):
    """A street committee secretary of `street` (role group plus the street's group)."""
    from base.roles import Role, role_group_name, street_group_name

    return role_user(username, role_group_name(Role.STREET_COMMITTEE), street_group_name(street))


def station_user(station, username="dongping-staff"):
    """Station staff assigned to `station` (the assignment creates its staff group)."""
    from base.roles import Role, role_group_name
    from permissions.models import StationAssignment

    user = role_user(username, role_group_name(Role.STATION_STAFF))
    StationAssignment.objects.create(user=user, station_id=station.pk)
    return user


def new_opinion(station, **extra):
    """A citizen's opinion submitted at `station` through the real intake."""
    from workflows.intake import Submission, submit
    from workflows.models import Category

    fields = {
        "station": station,
        "category": Category.objects.get(name="交通出行"),
        "title": "东平巷夜间停车难",
        "content": "小区周边夜间停车位不足，希望增设临时停车位。",
        "citizen_name": "张三丰",
        "citizen_phone": "13812345678",
        "publish_consent": True,
        **extra,
    }
    opinion, created = submit(Submission(**fields))
    assert created
    return opinion


def replied(opinion, staff, handler, department, outcome="resolved", text="已处理。", **assign):
    """Take a submitted opinion through 受理, 交办, 签收 and 答复."""
    from workflows import opinions

    opinion = opinions.perform(opinion, "accept", user=staff)
    opinion = opinions.perform(opinion, "assign", user=staff, department=department, **assign)
    opinion = opinions.perform(opinion, "sign", user=handler)
    return opinions.perform(opinion, "reply", user=handler, outcome=outcome, text=text)


@pytest.fixture
def fixed_today(monkeypatch):
    """Pin "today" for pages and feeds: returns a setter."""

    def pin(day: dt.date):
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: day)
        return day

    return pin
