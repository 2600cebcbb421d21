"""Sign-ins and role changes leave append-only audit records that nobody can alter."""

import pytest

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from wagtail.test.utils.form_data import querydict_from_html

from base.models import AuditEvent

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

    from base.roles import Role, role_group_name

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
    assert exported.detail == {"model": "base.AuditEvent", "format": "csv", "filters": {}}
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

    from base.roles import Role, role_group_name

    call_command("sync_roles", verbosity=0)
    editor = get_user_model().objects.create_user("editor", password=PASSWORD)
    editor.groups.add(Group.objects.get(name=role_group_name(Role.EDITOR)))
    client.force_login(editor)
    assert client.get(reverse("audit_events:index")).status_code == 302


# --- Permission changes beyond role groups ------------------------------------------------


def permission_changes():
    return list(AuditEvent.objects.filter(action="permissions_changed").order_by("pk"))


def test_direct_user_permissions_are_recorded_however_they_are_changed(staff):
    from django.contrib.auth.models import Permission

    clerk = get_user_model().objects.create_user("clerk", password=PASSWORD)
    view_deputy = Permission.objects.get(codename="view_deputy")
    change_deputy = Permission.objects.get(codename="change_deputy")
    clerk.user_permissions.add(view_deputy, change_deputy)
    clerk.user_permissions.remove(change_deputy)
    clerk.user_permissions.clear()
    view_deputy.user_set.add(clerk)  # from the permission's side
    events = permission_changes()
    assert [(e.object_type, e.object_id) for e in events] == [("permissions.User", str(clerk.pk))] * 4
    assert [(e.detail["change"], e.detail["permissions"]) for e in events] == [
        ("granted", ["content.change_deputy", "content.view_deputy"]),
        ("revoked", ["content.change_deputy"]),
        ("revoked", ["content.view_deputy"]),
        ("granted", ["content.view_deputy"]),
    ]
    assert {e.detail["kind"] for e in events} == {"user"}


def group_form(group, page_rows=(), image_rows=()):
    """POST data of Wagtail's group editor: page and image library permission rows."""
    data = {"name": group.name}
    for prefix, rows, key in (("page_permissions", page_rows, "page"), ("image_permissions", image_rows, "collection")):
        data.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": 0})
        for n, (target, permissions) in enumerate(rows):
            data[f"{prefix}-{n}-{key}"] = target.pk
            # The page panel identifies permissions by codename, the library panels by id.
            data[f"{prefix}-{n}-permissions"] = [p.codename if key == "page" else p.pk for p in permissions]
    for prefix in ("collection_permissions", "document_permissions"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return data


def test_page_and_library_grants_made_in_the_group_editor_are_recorded_with_who(client, staff, home):
    from django.contrib.auth.models import Permission

    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

    group = Group.objects.create(name="街道工委·湖滨街道")
    root = Collection.get_first_root_node()
    change_page = Permission.objects.get(content_type__app_label="wagtailcore", codename="change_page")
    add_image = Permission.objects.get(content_type__app_label="wagtailimages", codename="add_image")
    client.force_login(staff)
    url = reverse("wagtailusers_groups:edit", args=[group.pk])

    response = client.post(url, group_form(group, [(home, [change_page])], [(root, [add_image])]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert GroupPagePermission.objects.filter(group=group).count() == 1  # written with bulk_create
    assert GroupCollectionPermission.objects.filter(group=group).count() == 1
    page_grant, image_grant = permission_changes()
    for event in (page_grant, image_grant):
        assert (event.actor, event.object_type, event.object_id) == (staff, "auth.Group", str(group.pk))
        assert event.detail["change"] == "granted"
    assert page_grant.detail == {
        "kind": "page",
        "change": "granted",
        "permissions": ["wagtailcore.change_page"],
        "target_type": "wagtailcore.page",
        "target_id": str(home.pk),
        "target": home.title,
    }
    assert (image_grant.detail["kind"], image_grant.detail["permissions"]) == (
        "collection",
        ["wagtailimages.add_image"],
    )
    assert (image_grant.detail["target_type"], image_grant.detail["target_id"]) == (
        "wagtailcore.collection",
        str(root.pk),
    )

    # Saving the form again as shown records nothing; taking the page permission away is recorded.
    def shown():
        html = client.get(url).content.decode()
        return querydict_from_html(html, form_id="w-editor-form")

    assert client.post(url, dict(shown().lists())).status_code == 302
    assert len(permission_changes()) == 2
    data = shown()
    data["page_permissions-0-DELETE"] = "on"
    assert client.post(url, dict(data.lists())).status_code == 302
    assert not GroupPagePermission.objects.filter(group=group).exists()
    assert GroupCollectionPermission.objects.filter(group=group).exists()
    revoked = permission_changes()[2:]
    assert [(e.actor, e.detail["change"], e.detail["kind"], e.detail["target_id"]) for e in revoked] == [
        (staff, "revoked", "page", str(home.pk))
    ]


def test_group_permissions_and_page_and_collection_grants_written_in_code_are_recorded(home):
    from django.contrib.auth.models import Permission

    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

    group = Group.objects.create(name="编辑")
    publish = Permission.objects.get(content_type__app_label="wagtailcore", codename="publish_page")
    choose = Permission.objects.get(content_type__app_label="wagtaildocs", codename="choose_document")
    GroupPagePermission.objects.create(group=group, page=home, permission=publish)
    GroupCollectionPermission.objects.create(
        group=group, collection=Collection.get_first_root_node(), permission=choose
    )
    group.permissions.add(Permission.objects.get(codename="view_deputy"))
    group.permissions.clear()
    group.delete()  # its grants go with it
    events = [(e.detail["kind"], e.detail["change"], e.detail["permissions"]) for e in permission_changes()]
    assert events[:4] == [
        ("page", "granted", ["wagtailcore.publish_page"]),
        ("collection", "granted", ["wagtaildocs.choose_document"]),
        ("group", "granted", ["content.view_deputy"]),
        ("group", "revoked", ["content.view_deputy"]),
    ]
    assert sorted(events[4:]) == [
        ("collection", "revoked", ["wagtaildocs.choose_document"]),
        ("page", "revoked", ["wagtailcore.publish_page"]),
    ]
    assert {e.object_repr for e in permission_changes()} == {"编辑"}


def test_object_grants_to_groups_and_users_are_recorded(staff):
    from guardian.shortcuts import assign_perm, remove_perm

    from content.models import Street

    street = Street.objects.create(name="湖滨街道", slug="hubin")  # its committee group gets a grant
    clerk = get_user_model().objects.create_user("clerk", password=PASSWORD)
    group = Group.objects.get(name="街道工委·湖滨街道")
    (created,) = [e for e in permission_changes() if e.detail["kind"] == "object"]
    assert (created.object_id, created.detail["change"]) == (str(group.pk), "granted")
    assert created.detail["permissions"] == ["content.manage_street"]
    assert (created.detail["target_type"], created.detail["target_id"], created.detail["target"]) == (
        "content.street",
        str(street.pk),
        "湖滨街道",
    )
    before = len(permission_changes())
    assign_perm("content.manage_street", clerk, street)
    assign_perm("content.manage_street", clerk, street)  # already held: nothing new
    remove_perm("content.manage_street", clerk, street)
    remove_perm("content.manage_street", group, street)
    events = permission_changes()[before:]
    assert [(e.object_type, e.object_id, e.detail["kind"], e.detail["change"]) for e in events] == [
        ("permissions.User", str(clerk.pk), "object", "granted"),
        ("permissions.User", str(clerk.pk), "object", "revoked"),
        ("auth.Group", str(group.pk), "object", "revoked"),
    ]
    assert {e.detail["target_id"] for e in events} == {str(street.pk)}


def test_sync_roles_records_real_grants_and_a_rerun_records_nothing(two_streets):
    from django.core.management import call_command

    from content.models import Street

    granted = permission_changes()
    assert granted  # the first run gave the role and street groups their grants
    call_command("sync_roles", verbosity=0)
    assert permission_changes() == granted
    Street.objects.create(name="望江街道", slug="wangjiang")
    call_command("sync_roles", verbosity=0)
    new = [e for e in permission_changes() if e not in granted]
    assert new and {e.object_repr for e in new} == {"街道工委·望江街道"}
    assert {e.detail["change"] for e in new} == {"granted"}
