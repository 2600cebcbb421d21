"""A street committee's listings contain its own street only, at a fixed query cost."""

import pytest

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from base.roles import Role, role_group_name, street_group_name
from content.models import Street
from content.scoping import scope_by_street, streets_for

pytestmark = pytest.mark.django_db

STREET_NAMES = [
    "湖滨",
    "清波",
    "小营",
    "望江",
    "南星",
    "紫阳",
    "凯旋",
    "采荷",
    "闸弄口",
    "彭埠",
    "四季青",
    "笕桥",
    "丁兰",
    "九堡",
]


@pytest.fixture
def streets(db):
    rows = [Street.objects.create(name=f"{name}街道", slug=f"s{i}") for i, name in enumerate(STREET_NAMES)]
    call_command("sync_roles", verbosity=0)
    return rows


def member_of(*groups, username="u"):
    user = get_user_model().objects.create_user(username, password="a-long-passphrase-2026")
    user.groups.add(*groups)
    return user


def street_groups(streets):
    return [Group.objects.get(name=street_group_name(street)) for street in streets]


def test_a_street_committee_sees_only_its_street(streets):
    user = member_of(*street_groups(streets[:1]))
    assert list(streets_for(user)) == [streets[0]]
    assert list(scope_by_street(Street.objects.all(), user, "pk")) == [streets[0]]


def test_district_wide_roles_see_every_street(streets):
    for role in (Role.DISTRICT_ADMIN, Role.EDITOR, Role.AUDITOR):
        user = member_of(Group.objects.get(name=role_group_name(role)), username=role.value)
        assert streets_for(user).count() == 14


def test_people_without_a_role_see_nothing(streets):
    assert not streets_for(member_of(username="nobody")).exists()


def test_the_street_listing_in_the_admin_is_scoped(client, streets):
    client.force_login(member_of(*street_groups(streets[:1])))
    html = client.get(reverse("wagtailsnippets_content_street:list")).content.decode()
    assert "湖滨街道" in html and "清波街道" not in html


def count_listing_queries(client, user):
    client.force_login(user)
    url = reverse("wagtailsnippets_content_street:list")
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_a_scoped_listing_costs_the_same_for_one_street_and_fourteen(client, streets):
    one = count_listing_queries(client, member_of(*street_groups(streets[:1]), username="one"))
    all_ = count_listing_queries(client, member_of(*street_groups(streets), username="all"))
    assert one == all_
