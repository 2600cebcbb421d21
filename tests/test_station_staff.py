"""Station staff are assigned to a station in the admin and reach that station's pages only."""

import pytest

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from wagtail.models import Collection, GroupPagePermission

from base.roles import Role, role_group_name
from content.models import StationPage
from content.scoping import scope_by_station, stations_for
from permissions.models import StationAssignment
from tests.conftest import role_user, station_user, street_user

pytestmark = pytest.mark.django_db


def staff_member(username="dongping-staff"):
    return role_user(username, role_group_name(Role.STATION_STAFF))


def test_a_street_secretary_assigns_staff_to_a_station_in_the_admin(client, two_streets, street):
    client.force_login(street_user(street))
    clerk = staff_member()
    url = reverse("station_staff:add")
    form = client.get(url)
    assert form.status_code == 200
    offered = form.context["form"].fields["station"].queryset
    assert two_streets["station"].pk in offered.values_list("pk", flat=True)
    assert two_streets["other_station"].pk not in offered.values_list("pk", flat=True)

    response = client.post(url, {"user": clerk.pk, "station": two_streets["station"].pk, "note": "周三接待"})
    assert response.status_code == 302, response.content.decode()[:2000]
    station = two_streets["station"]
    assert station.permissions_for_user(clerk).can_edit()
    assert two_streets["point"].permissions_for_user(clerk).can_edit()  # contact points below it
    assert not station.permissions_for_user(clerk).can_publish()  # changes go through moderation
    assert not two_streets["centre"].permissions_for_user(clerk).can_edit()
    assert not two_streets["other_station"].permissions_for_user(clerk).can_edit()


def test_a_secretary_cannot_assign_staff_to_another_streets_station(client, two_streets, street):
    client.force_login(street_user(street))
    clerk = staff_member()
    response = client.post(reverse("station_staff:add"), {"user": clerk.pk, "station": two_streets["other_station"].pk})
    assert response.status_code == 200
    assert "station" in response.context["form"].errors
    assert not StationAssignment.objects.exists()
    assert not two_streets["other_station"].permissions_for_user(clerk).can_edit()


def test_only_people_with_the_station_staff_role_can_be_assigned(client, two_streets, street):
    client.force_login(street_user(street))
    stranger = role_user("stranger")
    response = client.post(reverse("station_staff:add"), {"user": stranger.pk, "station": two_streets["station"].pk})
    assert response.status_code == 200
    assert "user" in response.context["form"].errors
    assert not StationAssignment.objects.exists()


def test_the_station_must_be_a_liaison_station_or_contact_point(two_streets):
    from django.core.exceptions import ValidationError

    assignment = StationAssignment(user=staff_member(), station_id=two_streets["centre"].pk)
    with pytest.raises(ValidationError) as error:
        assignment.full_clean()
    assert "中心站" in str(error.value)


def test_the_assignment_listing_shows_only_the_secretarys_street(client, two_streets, street):
    station_user(two_streets["station"], "hubin-staff")
    station_user(two_streets["other_station"], "qingbo-staff")
    client.force_login(street_user(street))
    response = client.get(reverse("station_staff:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "hubin-staff" in page and "qingbo-staff" not in page


def test_staff_scope_covers_their_station_and_the_points_below(two_streets):
    clerk = station_user(two_streets["station"])
    visible = set(stations_for(clerk).values_list("pk", flat=True))
    assert visible == {two_streets["station"].pk, two_streets["point"].pk}
    rows = scope_by_station(StationAssignment.objects.all(), clerk)
    assert [row.user for row in rows] == [clerk]


def test_removing_the_assignment_removes_the_access_and_the_group(client, two_streets):
    clerk = station_user(two_streets["station"])
    group_name = clerk.groups.exclude(name=role_group_name(Role.STATION_STAFF)).get().name
    assert group_name.startswith(f"站点#{two_streets['station'].pk}·")
    StationAssignment.objects.get(user=clerk).delete()
    clerk = type(clerk).objects.get(pk=clerk.pk)
    assert not two_streets["station"].permissions_for_user(clerk).can_edit()
    assert not Group.objects.filter(name=group_name).exists()
    assert not stations_for(clerk).exists()


def test_moving_an_assignment_to_another_station_moves_the_access(two_streets):
    clerk = station_user(two_streets["point"])
    assignment = StationAssignment.objects.get(user=clerk)
    assignment.station_id = two_streets["other_station"].pk
    assignment.save()
    clerk = type(clerk).objects.get(pk=clerk.pk)
    assert two_streets["other_station"].permissions_for_user(clerk).can_edit()
    assert not two_streets["point"].permissions_for_user(clerk).can_edit()


def test_station_staff_edit_their_station_in_the_admin_but_not_the_centre(client, two_streets):
    client.force_login(station_user(two_streets["station"]))
    own = client.get(reverse("wagtailadmin_pages:edit", args=[two_streets["station"].pk]))
    assert own.status_code == 200
    centre = client.get(reverse("wagtailadmin_pages:edit", args=[two_streets["centre"].pk]))
    assert centre.status_code == 404


def test_renaming_a_station_renames_its_staff_group(two_streets):
    station_user(two_streets["station"])
    station = two_streets["station"]
    station.title = "东平巷联络站（迁址）"
    station.save()
    assert Group.objects.filter(name=f"站点#{station.pk}·东平巷联络站（迁址）").exists()


def test_sync_roles_keeps_assignments_and_drops_wagtails_stock_groups(two_streets):
    station_user(two_streets["station"])
    Group.objects.get_or_create(name="Editors")
    call_command("sync_roles", verbosity=0)
    assert not Group.objects.filter(name__in=["Editors", "Moderators"]).exists()
    station = StationPage.objects.get(pk=two_streets["station"].pk)
    assert GroupPagePermission.objects.filter(page=station, group__name__startswith="站点#").count() == 4


def test_each_street_has_its_own_image_library(two_streets, street):
    from wagtail.images import get_image_model
    from wagtail.permissions import policy_registry

    permission_policy = policy_registry.get_by_type(get_image_model())
    secretary = street_user(street)
    own = Collection.objects.get(name="湖滨街道图库")
    other = Collection.objects.get(name="清波街道图库")
    allowed = set(permission_policy.collections_user_has_permission_for(secretary, "add"))
    assert own in allowed and other not in allowed
