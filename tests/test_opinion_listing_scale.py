"""The staff opinion listing at scale (issue 16, part 6): the scope written on the opinion's own
columns names exactly the rows of its former definition (subqueries on the grants, OR'd), for
every kind of person; a street committee's scope is a plain `street_id IN (…)`; the first page
costs the same number of queries with 10 opinions as with 100; the page's cells still show what
they showed."""

import datetime as dt

import pytest

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from base.roles import HANDLE_DEPARTMENT, MANAGE_STREET, Role, department_group_name, role_group_name, roles_of
from content.models import ContactPointPage, Street
from content.scoping import staffed_stations_for, streets_for
from content.tree import add_station
from permissions.models import StationAssignment
from tests.conftest import new_opinion, role_user, station_user, street_user
from workflows import opinions
from workflows.models import Department, Opinion
from workflows.opinions import HANDLER, OPINIONS, PUBLISHER, STAFF, SUPERVISOR
from workflows.process import EVERYTHING, NOTHING, any_of

pytestmark = pytest.mark.django_db


def former_capacities(roles) -> dict:
    """`workflows.opinions.opinion_capacities` as it was written before the listing was made
    fast: subqueries on the grants, every alternative present even when empty."""
    if roles.is_district_admin:
        staff = supervisor = publisher = EVERYTHING
    else:
        staff = supervisor = NOTHING
        publisher = EVERYTHING if roles.is_editor else NOTHING
    if not roles.district_wide:
        street = Q(street__in=streets_for(roles).values("pk"))
        staff = street | Q(station__in=staffed_stations_for(roles).values("pk"))
        supervisor = publisher = street
    handler = Q(department__in=Department.objects.handled_by(roles).values("pk"))
    return {STAFF: staff, SUPERVISOR: supervisor, HANDLER: handler, PUBLISHER: publisher}


def former_scope(user) -> set[int]:
    roles = roles_of(user)
    if roles.district_wide:
        return set(Opinion.objects.values_list("pk", flat=True))
    if not roles.active:
        return set()
    terms = any_of(former_capacities(roles).values())
    if terms == NOTHING:
        return set()
    return set(Opinion.objects.filter(terms).values_list("pk", flat=True))


def former_held(user, opinion) -> set[str]:
    roles = roles_of(user)
    if not roles.active:
        return set()
    return {
        capacity
        for capacity, q in former_capacities(roles).items()
        if not q or Opinion.objects.filter(q, pk=opinion.pk).exists()
    }


@pytest.fixture
def district(two_streets, street):
    """Opinions in both streets, at a liaison station, its contact point (and one below that),
    the centre station, and escalated from a contact point to the centre; some assigned to
    one of two departments; and people holding every kind of grant, alone and together."""
    w = two_streets
    deep_point = add_station(w["station"], ContactPointPage(title="东平巷二号网格联络点", slug="dongping-grid-2"))
    city, roads = Department.objects.create(name="区城管局"), Department.objects.create(name="区建设局")
    call_command("sync_roles", verbosity=0)  # the departments' handler groups
    rows = []
    for station in (w["station"], w["point"], deep_point, w["centre"], w["other_station"], w["other_centre"]):
        for i in range(2):
            rows.append(
                new_opinion(station, title=f"{station.title}的意见{i}", citizen_phone=f"1381234{len(rows):04d}")
            )
    admin = role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN))
    staff_of_point = station_user(w["point"], "point-staff")
    escalated = opinions.perform(rows[2], "escalate", user=staff_of_point, note="联络点无法办理")  # → station
    escalated = opinions.perform(escalated, "escalate", user=admin, note="站点无法办理")  # → centre
    for row, department in ((rows[0], city), (rows[9], city), (rows[10], roads)):
        opinions.perform(row, "accept", user=admin)
        opinions.perform(row, "assign", user=admin, department=department, today=dt.date(2026, 9, 1))
    handler = role_user("cgj", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(city))
    # A street committee member who also handles for a department, and is staff elsewhere.
    mixed = street_user(w["other_street"], "mixed")
    mixed.groups.add(Group.objects.get(name=department_group_name(roads)))
    StationAssignment.objects.create(user=mixed, station_id=w["station"].pk)
    inactive = street_user(street, "gone")
    inactive.is_active = False
    inactive.save()
    people = {
        "committee": street_user(street),
        "other_committee": street_user(w["other_street"], "qingbo-secretary"),
        "station_staff": station_user(w["station"]),
        "point_staff": staff_of_point,
        "handler": handler,
        "mixed": mixed,
        "district_admin": admin,
        "editor": role_user("editor", role_group_name(Role.EDITOR)),
        "auditor": role_user("auditor", role_group_name(Role.AUDITOR)),
        "deputy": role_user("deputy", role_group_name(Role.DEPUTY)),
        "inactive": inactive,
        "superuser": role_user("root", is_superuser=True),
    }
    return {**w, "street": street, "people": people, "rows": Opinion.objects.all(), "city": city, "roads": roads}


def test_the_scope_names_exactly_the_rows_of_its_former_definition(district):
    everyone = district["people"]
    seen = {}
    for name, user in everyone.items():
        scope = set(OPINIONS.scope(Opinion.objects.all(), user).values_list("pk", flat=True))
        assert scope == former_scope(user), name
        seen[name] = len(scope)
    # The data set tells the kinds of people apart (none of the comparisons is vacuous).
    total = Opinion.objects.count()
    assert seen["district_admin"] == seen["auditor"] == seen["editor"] == seen["superuser"] == total == 12
    assert 0 < seen["handler"] < seen["committee"] < total
    assert 0 < seen["point_staff"] < seen["station_staff"] < seen["committee"]
    assert seen["mixed"] > seen["other_committee"] > 0
    assert seen["deputy"] == seen["inactive"] == 0


def test_each_capacity_on_each_row_is_that_of_its_former_definition(district):
    for name, user in district["people"].items():
        for opinion in district["rows"]:
            assert OPINIONS.capacities(user, opinion) == former_held(user, opinion), (name, opinion.title)


def test_a_street_committees_scope_is_a_plain_condition_on_the_street_column(district):
    user = district["people"]["committee"]
    sql = str(OPINIONS.scope(Opinion.objects.all(), user).query)
    where = sql.split(" WHERE ", 1)[1]
    assert "street_id" in where and " OR " not in where and "SELECT" not in where
    assert roles_of(user).granted_ids(MANAGE_STREET, Street) == [district["street"].pk]
    assert roles_of(district["people"]["handler"]).granted_ids(HANDLE_DEPARTMENT, Department) == [district["city"].pk]


# --- The first page: a fixed number of queries --------------------------------------------------


def add_opinions(station, count: int) -> None:
    """`count` more opinions at `station`, copied from one submitted through the real intake."""
    model = new_opinion(station, title="复制的意见", citizen_phone=f"1390000{Opinion.objects.count():04d}")
    fields = {
        f.attname: getattr(model, f.attname)
        for f in Opinion._meta.concrete_fields
        if f.attname not in ("id", "receipt_no", "idempotency_key")
    }
    start = timezone.now() - dt.timedelta(days=30)
    Opinion.objects.bulk_create(
        Opinion(**{**fields, "created_at": start + dt.timedelta(minutes=i)}, receipt_no=f"YT{model.pk:06d}{i:04d}")
        for i in range(count - 1)
    )


def first_page(client, user) -> tuple[int, str]:
    """The queries of the listing's first page, and the page."""
    client.force_login(user)
    client.get(reverse("opinions:list"))  # the first request reads what a session keeps
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("opinions:list"))
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_the_first_page_costs_the_same_queries_with_10_and_100_opinions(client, two_streets, street):
    department = Department.objects.create(name="区城管局")
    call_command("sync_roles", verbosity=0)
    people = {
        "committee": street_user(street),
        "station_staff": station_user(two_streets["station"]),
        "handler": role_user("cgj", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department)),
        "district_admin": role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN)),
    }
    add_opinions(two_streets["station"], 10)
    add_opinions(two_streets["other_station"], 3)  # another street's rows, outside most scopes
    Opinion.objects.update(department=department)
    few = {}
    for who, user in people.items():
        few[who], page = first_page(client, user)
        assert page.count('class="bulk-action-checkbox"') == 10 + (3 if who in ("district_admin", "handler") else 0)
    add_opinions(two_streets["station"], 90)
    Opinion.objects.update(department=department)
    for who, user in people.items():
        many, page = first_page(client, user)
        assert page.count('class="bulk-action-checkbox"') == 50, who  # a page holds 50 rows
        assert many == few[who], (who, few[who], many)
        assert many <= 25, who


def test_the_listings_cells_show_what_the_templates_showed(client, two_streets, street):
    opinion = new_opinion(two_streets["station"], title="<b>路灯</b>不亮")
    admin = role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN))
    department = Department.objects.create(name="区城管局")
    opinions.perform(opinion, "accept", user=admin)
    opinions.perform(opinion, "assign", user=admin, department=department, today=dt.date(2025, 9, 1))
    client.force_login(street_user(street))
    page = client.get(reverse("opinions:list")).content.decode()
    inspect = reverse("opinions:inspect", args=[opinion.pk])
    assert f'<a href="{inspect}"><span id="snippet_{opinion.pk}_title">{opinion.receipt_no}</span></a>' in page
    assert "<td>&lt;b&gt;路灯&lt;/b&gt;不亮</td>" in page  # escaped, as a template escapes it
    assert "<td>已交办</td>" in page and "<td>东平巷代表联络站</td>" in page and "<td>区城管局</td>" in page
    assert '<td><span class="w-status w-status--label">超期</span></td>' in page
    assert "<td>张** 138****5678</td>" in page and "13812345678" not in page
    created = timezone.localtime(opinion.created_at)
    assert f"<td>{created.year}年{created.month}月{created.day}日 {created:%H:%M}</td>" in page  # local time
    # The row menu would only repeat the link of the receipt number: there is none.
    assert "w-dropdown__toggle--icon" not in page.split("<tbody>", 1)[1]
