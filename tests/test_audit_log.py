"""Sign-ins and role changes leave append-only audit records that nobody can alter."""

import pytest

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from wagtail.test.utils.form_data import querydict_from_html

from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-passphrase-2026"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("secretary", "s@example.com", PASSWORD)


def test_a_login_and_a_failed_login_are_recorded_with_the_address(client, staff):
    client.post(reverse("wagtailadmin_login"), {"username": "secretary", "password": "nope"}, REMOTE_ADDR="10.1.2.3")
    client.post(reverse("wagtailadmin_login"), {"username": "secretary", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3")
    failed, login = AuditEvent.objects.order_by("pk")
    assert (failed.action, failed.actor_username, failed.ip_address) == ("login_failed", "secretary", "10.1.2.3")
    assert (login.action, login.actor, login.ip_address) == ("login", staff, "10.1.2.3")
    assert "nope" not in str(failed.detail)


def test_granting_a_role_in_the_admin_is_recorded_with_who_did_it(client, staff):
    clerk = get_user_model().objects.create_user("clerk", password=PASSWORD)
    group = Group.objects.create(name="街道工委·湖滨街道")
    client.force_login(staff)
    url = reverse("wagtailusers_users:edit", args=[clerk.pk])
    data = querydict_from_html(client.get(url).content.decode(), form_id="w-editor-form")
    data.update({"email": "clerk@example.com", "first_name": "晓", "last_name": "林", "is_active": "on"})
    data.setlist("groups", [str(group.pk)])
    response = client.post(url, dict(data.lists()))
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="role_granted")
    assert event.actor == staff
    assert event.object_id == str(clerk.pk)
    assert event.detail == {"group": "街道工委·湖滨街道"}


def test_removing_a_role_is_recorded(staff):
    group = Group.objects.create(name="审计")
    staff.groups.add(group)
    staff.groups.remove(group)
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == ["role_granted", "role_revoked"]


def test_audit_records_cannot_be_changed_or_deleted_through_the_application(staff):
    event = AuditEvent.objects.create(action="login", actor=staff, actor_username="secretary")
    event.object_repr = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(object_repr="tampered")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).object_repr == ""


def test_deleting_a_user_keeps_their_audit_records(staff):
    AuditEvent.objects.create(action="login", actor=staff, actor_username="secretary")
    staff.delete()
    assert AuditEvent.objects.get().actor_username == "secretary"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgresql_refuses_update_and_delete_in_sql(staff):
    event = AuditEvent.objects.create(action="login", actor=staff, actor_username="secretary")
    for sql in (
        "UPDATE permissions_auditevent SET object_repr = 'x' WHERE id = %s",
        "DELETE FROM permissions_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, object_repr="").exists()


@pytest.fixture
def auditor(db):
    from django.core.management import call_command

    from permissions.roles import Role, role_group_name

    call_command("sync_roles", verbosity=0)
    user = get_user_model().objects.create_user("auditor", password=PASSWORD)
    user.groups.add(Group.objects.get(name=role_group_name(Role.AUDITOR)))
    return user


def test_the_auditor_browses_filters_and_exports_the_audit_log(client, staff, auditor):
    client.post(reverse("wagtailadmin_login"), {"username": "secretary", "password": "nope"}, REMOTE_ADDR="10.1.2.3")
    client.force_login(auditor)
    index = client.get(reverse("audit_events:index"), {"action": "login_failed"})
    assert index.status_code == 200
    assert "登录失败" in index.content.decode() and "10.1.2.3" in index.content.decode()
    export = client.get(reverse("audit_events:index"), {"export": "csv"})
    assert export.status_code == 200
    assert "10.1.2.3" in b"".join(export.streaming_content).decode("utf-8-sig")
    exported = AuditEvent.objects.get(action="personal_data_exported")
    assert exported.actor == auditor
    assert exported.detail == {"model": "permissions.AuditEvent", "format": "csv", "filters": {}}
    event = AuditEvent.objects.get(action="login_failed")
    assert client.get(reverse("audit_events:inspect", args=[event.pk])).status_code == 200


def test_nobody_can_add_edit_or_delete_audit_records_in_the_admin(client, staff, auditor):
    event = AuditEvent.objects.create(action="login", actor_username="x")
    for user in (auditor, staff):  # staff is a superuser
        client.force_login(user)
        for url in (
            reverse("audit_events:add"),
            reverse("audit_events:edit", args=[event.pk]),
            reverse("audit_events:delete", args=[event.pk]),
        ):
            response = client.post(url, {"action": "logout"})
            assert response.status_code in (302, 403, 404), url
            assert response.status_code != 302 or response["Location"] == reverse("wagtailadmin_home")
    assert AuditEvent.objects.filter(pk=event.pk, action="login").exists()


def test_other_staff_cannot_see_the_audit_log(client, db):
    from django.core.management import call_command

    from permissions.roles import Role, role_group_name

    call_command("sync_roles", verbosity=0)
    editor = get_user_model().objects.create_user("editor", password=PASSWORD)
    editor.groups.add(Group.objects.get(name=role_group_name(Role.EDITOR)))
    client.force_login(editor)
    assert client.get(reverse("audit_events:index")).status_code == 302
