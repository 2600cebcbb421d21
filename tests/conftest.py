"""Shared fixtures: a small district built with the same helpers the demo uses.

`tree` and `two_streets` are built once per worker and shared, each test running in a savepoint
inside the transaction that holds them (tests/shared_base.py); a test that cannot share them
builds its own. LIANLUO_SHARED_FIXTURES=0 makes every test build its own.
"""

import datetime as dt

import pytest
import pytest_django.fixtures
import time_machine
from pytest_django.fixtures import _get_databases_for_setup

from django.utils import timezone

from content.models import (
    CentreStationPage,
    ContactPointPage,
    Deputy,
    GeneralStationPage,
    LiaisonStationPage,
    Street,
)
from content.tree import add_station, district_home
from tests import fast_flush, template_db
from tests.shared_base import SPECS, Spec
from tests.shared_base import STATE as SHARED

# --- The test database: migrated once per run, copied for each xdist worker (tests/template_db.py).


def pytest_configure(config):
    template_db.controller_configure(config)
    fast_flush.install()  # PostgreSQL only: the flush after a transactional test (tests/fast_flush.py)


def pytest_unconfigure(config):
    template_db.controller_unconfigure(config)


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    directory = template_db.shared_dir(request.config, aliases, keepdb=django_db_keepdb and not django_db_createdb)
    if directory is None or not django_db_use_migrations:
        yield from pytest_django.fixtures.django_db_setup.__wrapped__(
            request,
            django_test_environment,
            django_db_blocker,
            django_db_use_migrations,
            django_db_keepdb,
            django_db_createdb,
            django_db_modify_db_settings,
        )
        return
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        db_cfg = template_db.setup_from_template(directory, verbosity, serialize=bool(serialized_aliases))
    yield
    with django_db_blocker.unblock():
        try:
            template_db.teardown(db_cfg, verbosity)
        except Exception as exc:  # as pytest-django's own teardown
            request.node.warn(pytest.PytestWarning(f"Error when trying to teardown test databases: {exc!r}"))


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LIANLUO_PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (Redis keeps keys between tests and runs)."""
    from django.core.cache import cache

    cache.clear()


def _new_street() -> Street:
    return Street.objects.create(name="湖滨街道", slug="hubin")


def _build_tree(home, street) -> dict:
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


def _build_two_streets(tree, street) -> dict:
    from django.core.management import call_command

    other = Street.objects.create(name="清波街道", slug="qingbo")
    other_centre = add_station(tree["general"], CentreStationPage(title="清波街道中心站", slug="qingbo", street=other))
    other_station = add_station(other_centre, LiaisonStationPage(title="清波联络站", slug="qingbo-station"))
    call_command("sync_roles", verbosity=0)
    return {**tree, "other_street": other, "other_centre": other_centre, "other_station": other_station}


# `tree` and `two_streets` are built once and shared by the tests that follow (tests/shared_base.py);
# each fixture below hands out the test's own copy of the shared objects, or builds them itself.
def _shared_or(request, name, build, *args):
    found = SHARED.shared(request, name)
    return found if found is not None else build(*args)


def _build_tree_level() -> dict:
    home = district_home()
    street = _new_street()
    return {"home": home, "street": street, "tree": _build_tree(home, street)}


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    if fixturedef.argname == "_django_db_helper":
        # Before the test's transaction opens: keep, build or roll back the shared district.
        SHARED.prepare(
            request.node,
            None if _is_transactional(request) else SHARED.wanted_level(request.node),
            request.getfixturevalue("django_db_blocker"),
        )
    result = yield
    if fixturedef.argname == "django_db_setup":
        fixturedef.addfinalizer(SHARED.finish)  # runs before the test database is destroyed
    return result


def _is_transactional(request) -> bool:
    """pytest-django's own test: such a test commits, so it must not run inside the shared transaction."""
    marker = request.node.get_closest_marker("django_db")
    kwargs = marker.kwargs if marker else {}
    return bool(
        kwargs.get("transaction")
        or kwargs.get("reset_sequences")
        or kwargs.get("databases") not in (None, ["default"], ("default",), {"default"})
        or {"transactional_db", "live_server", "django_db_reset_sequences"} & set(request.fixturenames)
        or (marker and marker.args)
    )


@pytest.fixture
def home(db, request):
    return _shared_or(request, "home", district_home)


@pytest.fixture
def street(db, request):
    return _shared_or(request, "street", _new_street)


def _tree(home, street, request):
    """总站 → 中心站 → 联络站 → 联络点, all published."""
    return _shared_or(request, "tree", _build_tree, home, street)


tree = pytest.fixture(_tree, name="tree")
SPECS["tree"] = Spec("tree", None, _build_tree_level, _tree)


def make_deputy(name="王秀英", level="district", **extra) -> Deputy:
    return Deputy.objects.create(name=name, congress_level=level, term="第十八届", **extra)


@pytest.fixture
def deputy(db):
    return make_deputy()


PASSWORD = "a-long-passphrase-2026"


def _two_streets(tree, street, request):
    """The tree of 湖滨街道 plus a second street (清波街道) with one station; roles synced."""
    return _shared_or(request, "two_streets", _build_two_streets, tree, street)


two_streets = pytest.fixture(_two_streets, name="two_streets")
SPECS["two_streets"] = Spec(
    "two_streets", "tree", lambda below: _build_two_streets(below["tree"], below["street"]), _two_streets
)


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
def fixed_today():
    """Pin "today": returns a setter. The clock is moved to noon of that day and keeps ticking
    (time-machine), so "now" and "today" agree, and code that travels in time itself (the demo
    data, made at each step's moment) nests its own travel inside this one."""
    travellers = []

    def pin(day: dt.date):
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0))), tick=True)
        traveller.start()
        travellers.append(traveller)
        return day

    yield pin
    for traveller in travellers:
        traveller.stop()
