"""Roles are defined in code; street committees reach only their own street's pages."""

import pytest
from guardian.models import GroupObjectPermission
from guardian.shortcuts import get_objects_for_user

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from wagtail.models import GroupPagePermission

from base.roles import MANAGE_STREET, Role, role_group_name, street_group_name
from content.models import Street
from tests.conftest import street_user

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        sorted(Group.objects.values_list("name", flat=True)),
        sorted(Group.objects.values_list("name", "permissions__codename")),
        sorted(GroupPagePermission.objects.values_list("group__name", "page_id", "permission__codename")),
        sorted(GroupObjectPermission.objects.values_list("group__name", "object_pk", "permission__codename")),
    )


def test_syncing_roles_twice_changes_nothing(two_streets):
    from base.models import AuditEvent

    before, events = snapshot(), AuditEvent.objects.count()
    call_command("sync_roles", verbosity=0)
    assert snapshot() == before
    assert AuditEvent.objects.count() == events  # nothing changed, nothing recorded
    for role in Role:
        assert Group.objects.filter(name=role_group_name(role)).exists()


def test_a_new_street_gets_its_committee_group_with_a_grant_on_the_street(db):
    street = Street.objects.create(name="望江街道", slug="wangjiang")
    group = Group.objects.get(name="街道工委·望江街道")
    user = get_user_model().objects.create_user("wangjiang")
    user.groups.add(group)
    assert list(get_objects_for_user(user, MANAGE_STREET, Street)) == [street]


def test_the_street_group_holds_page_permissions_on_its_centre_station_only(two_streets, street):
    group = Group.objects.get(name=street_group_name(street))
    pages = set(GroupPagePermission.objects.filter(group=group).values_list("page_id", flat=True))
    assert pages == {two_streets["centre"].pk}
    codenames = set(GroupPagePermission.objects.filter(group=group).values_list("permission__codename", flat=True))
    assert {"change_page", "publish_page"} <= codenames and "bulk_delete_page" not in codenames


def test_a_street_committee_edits_and_publishes_only_its_own_pages(two_streets, street):
    user = street_user(street)
    for key in ("centre", "station", "point"):
        perms = two_streets[key].permissions_for_user(user)
        assert perms.can_edit() and perms.can_publish()
    assert not two_streets["other_station"].permissions_for_user(user).can_publish()
    assert not two_streets["other_station"].permissions_for_user(user).can_edit()
    assert not two_streets["general"].permissions_for_user(user).can_edit()


def test_the_admin_edit_view_refuses_another_streets_station(client, two_streets, street):
    client.force_login(street_user(street))
    own = client.get(reverse("wagtailadmin_pages:edit", args=[two_streets["station"].pk]))
    assert own.status_code == 200
    other = client.get(reverse("wagtailadmin_pages:edit", args=[two_streets["other_station"].pk]))
    assert other.status_code == 404


def test_renaming_a_street_renames_its_group(two_streets, street):
    street.name = "湖滨新街道"
    street.save()
    assert Group.objects.filter(name="街道工委·湖滨新街道").exists()
    assert not Group.objects.filter(name="街道工委·湖滨街道").exists()


def test_moving_a_centre_station_to_another_street_moves_the_grant(two_streets, street):
    centre = two_streets["other_centre"]
    centre.street = street
    centre.save()
    old_group = Group.objects.get(name=street_group_name(two_streets["other_street"]))
    assert not GroupPagePermission.objects.filter(group=old_group, page=centre).exists()
    new_group = Group.objects.get(name=street_group_name(street))
    assert GroupPagePermission.objects.filter(group=new_group, page=centre).exists()


def test_the_auditor_role_can_only_view(db):
    call_command("sync_roles", verbosity=0)
    codenames = Group.objects.get(name=role_group_name(Role.AUDITOR)).permissions.values_list("codename", flat=True)
    assert codenames and all(c.startswith("view_") or c == "access_admin" for c in codenames)


def test_editors_publish_district_wide(two_streets):
    editor = get_user_model().objects.create_user("editor")
    editor.groups.add(Group.objects.get(name=role_group_name(Role.EDITOR)))
    for key in ("general", "centre", "other_station", "point"):
        assert two_streets[key].permissions_for_user(editor).can_publish()


def test_street_pages_go_through_the_street_moderation_workflow(two_streets, street):
    from wagtail.models import Workflow

    secretary = street_user(street)
    outsider = street_user(two_streets["other_street"], username="qingbo-secretary")
    station = two_streets["station"]
    workflow = station.get_workflow()
    assert workflow == Workflow.objects.get(name="街道审核·湖滨街道")

    station.title = "东平巷代表联络站（新）"
    station.save_revision(user=secretary)
    state = workflow.start(station, secretary)
    task = state.current_task_state.task.specific
    assert "approve" in [action[0] for action in task.get_actions(station, secretary)]
    assert task.get_actions(station, outsider) == []

    state.current_task_state.approve(user=secretary)
    station.refresh_from_db()
    assert station.title == "东平巷代表联络站（新）" and station.live


def test_an_editor_may_approve_any_streets_pages(two_streets):
    editor = get_user_model().objects.create_user("editor")
    editor.groups.add(Group.objects.get(name=role_group_name(Role.EDITOR)))
    task = two_streets["other_station"].get_workflow().tasks.first().specific
    assert "approve" in [action[0] for action in task.get_actions(two_streets["other_station"], editor)]


def test_station_staff_submit_through_the_editor_and_only_their_streets_committee_approves(client, two_streets, street):
    from wagtail.test.utils.form_data import querydict_from_html

    from content.models import StationPage
    from tests.conftest import station_user

    station = two_streets["station"]
    old_title, new_title = station.title, "东平巷代表联络站（已更新）"
    staff = station_user(station)
    secretary = street_user(street)
    outsider = street_user(two_streets["other_street"], username="qingbo-secretary")

    # The station's staff edit the page in the admin and submit it for moderation.
    client.force_login(staff)
    url = reverse("wagtailadmin_pages:edit", args=[station.pk])
    editor = client.get(url).content.decode()
    assert 'name="action-submit"' in editor and 'name="action-publish"' not in editor
    data = querydict_from_html(editor, form_id="page-edit-form")
    data["signature_story-count"] = "0"  # StreamFields are built by JavaScript in a browser
    data["title"] = new_title
    data["action-submit"] = "action-submit"
    response = client.post(url, dict(data.lists()))
    assert response.status_code == 302, response.content.decode()[:3000]

    page = StationPage.objects.get(pk=station.pk)
    assert page.title == old_title and page.live and page.has_unpublished_changes  # live page unchanged
    assert page.get_latest_revision_as_object().title == new_title
    assert new_title not in client.get(page.url).content.decode()
    task_state = page.current_workflow_task_state
    assert task_state is not None and task_state.workflow_state.requested_by == staff
    approve = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", task_state.pk])

    # Staff cannot approve their own change, nor can another street's committee: refused
    # (403/404, or Wagtail's "no permission" redirect to the admin home) and nothing changes.
    for user in (staff, outsider):
        client.force_login(user)
        response = client.post(approve, {"comment": ""})
        assert response.status_code in (403, 404) or (
            response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
        ), (user, response.status_code)
    page.refresh_from_db()
    assert page.title == old_title and page.current_workflow_task_state == task_state

    # The committee of the station's own street approves: the change is live.
    client.force_login(secretary)
    response = client.post(approve, {"comment": "同意"})
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.title == new_title and page.live and not page.has_unpublished_changes
    assert page.current_workflow_task_state is None
    task_state.refresh_from_db()
    assert (task_state.status, task_state.finished_by) == ("approved", secretary)
    client.logout()
    assert new_title in client.get(page.url).content.decode()
