"""The auditors' one history browser: every source, filters, diffs, export, read-only."""

import csv
import datetime as dt
import io

import pytest

from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from base import audit
from base.models import AuditEvent
from base.roles import Role, role_group_name
from content.models import Deputy
from permissions.models import AccountAction
from tests.conftest import PASSWORD, make_deputy, role_user, street_user
from workflows import opinions

pytestmark = pytest.mark.django_db

OLD_TITLE = "东平巷代表联络站（第一版）"
NEW_TITLE = "东平巷代表联络站（第二版）"


@pytest.fixture
def history(two_streets, street):
    """A deputy created and edited, a page published twice and sent through moderation, a sign-in."""
    secretary = street_user(street)
    deputy = make_deputy(name="王秀英", occupation="社区书记")
    deputy.occupation = "街道副主任"
    deputy._history_user = secretary
    deputy.save()
    station = two_streets["station"]
    station.title = OLD_TITLE
    first = station.save_revision(user=secretary)
    first.publish(user=secretary)
    station.title = NEW_TITLE
    second = station.save_revision(user=secretary)
    second.publish(user=secretary)
    # A third draft goes through the street's moderation workflow and is approved.
    station.save_revision(user=secretary)
    state = station.get_workflow().start(station, secretary)
    state.current_task_state.approve(user=secretary)
    audit.record(AccountAction.LOGIN, actor=secretary)
    return {
        **two_streets,
        "deputy": deputy,
        "secretary": secretary,
        "revisions": (first, second),
        "auditor": role_user("auditor", role_group_name(Role.AUDITOR)),
    }


def rows(client, **params):
    response = client.get(reverse("history_browser:index"), params)
    assert response.status_code == 200
    return response.context["entries"]


def test_the_timeline_shows_every_source_newest_first(client, history):
    client.force_login(history["auditor"])
    entries = rows(client)
    kinds = {entry["h_kind"] for entry in entries}
    assert {"h:content.deputy", "revision", "pagelog", "audit"} <= kinds
    stamps = [entry["h_ts"] for entry in entries]
    assert stamps == sorted(stamps, reverse=True)
    # Publishing and the moderation workflow's transitions come from Wagtail's own log.
    actions = {entry["h_action"] for entry in entries if entry["h_kind"] == "pagelog"}
    assert {"wagtail.publish", "wagtail.workflow.start", "wagtail.workflow.approve"} <= actions
    page = client.get(reverse("history_browser:index")).content.decode()
    assert "提交审核" in page and "审核通过" in page and "王秀英" in page


def test_filters_narrow_the_timeline(client, history):
    client.force_login(history["auditor"])
    deputy, secretary, station = history["deputy"], history["secretary"], history["station"]

    by_model = rows(client, object_type="content.deputy")
    assert by_model and {e["h_type"] for e in by_model} == {"content.deputy"}

    by_object = rows(client, object_type="content.deputy", object_id=str(deputy.pk))
    assert {(e["h_kind"], e["h_action"]) for e in by_object} == {
        ("h:content.deputy", "created"),
        ("h:content.deputy", "changed"),
    }
    assert rows(client, object_type="content.deputy", object_id=str(deputy.pk + 1000)) == []
    assert rows(client, object_type="content.deputy", object_id="not-a-number") == []

    page_rows = rows(client, object_type="wagtailcore.page", object_id=str(station.pk))
    assert page_rows and {e["h_object"] for e in page_rows} == {str(station.pk)}
    assert {e["h_kind"] for e in page_rows} == {"revision", "pagelog"}

    by_user = rows(client, username=secretary.username)
    assert by_user and {e["h_username"] for e in by_user} == {secretary.username}
    assert {"h:content.deputy", "revision", "pagelog", "audit"} <= {e["h_kind"] for e in by_user}
    assert rows(client, username="nobody-at-all") == []

    by_action = rows(client, action="login")  # the secretary's, and the auditor's own (force_login)
    assert {(e["h_kind"], e["h_action"]) for e in by_action} == {("audit", "login")}
    assert {e["h_username"] for e in by_action} == {secretary.username, history["auditor"].username}
    approvals = rows(client, action="wagtail.workflow.approve")
    assert approvals and {e["h_kind"] for e in approvals} == {"pagelog"}
    changed = rows(client, action="changed")
    assert changed and {e["h_action"] for e in changed} == {"changed"}

    by_source = rows(client, source="revision")
    assert {e["h_kind"] for e in by_source} == {"revision"}
    assert {r.pk for r in history["revisions"]} <= {e["h_id"] for e in by_source}

    today = timezone.localdate()
    assert rows(client, date_from=(today + dt.timedelta(days=1)).isoformat()) == []
    assert rows(client, date_to=(today - dt.timedelta(days=1)).isoformat()) == []
    assert len(rows(client, date_from=today.isoformat(), date_to=today.isoformat())) == len(rows(client))


def test_invalid_filters_show_an_error_and_no_rows_never_everything(client, history):
    client.force_login(history["auditor"])
    today = timezone.localdate()
    response = client.get(
        reverse("history_browser:index"),
        {"date_from": today.isoformat(), "date_to": (today - dt.timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 200 and response.context["entries"] == []
    assert "不能晚于" in response.content.decode()
    assert rows(client, action="no-such-action") == []
    assert client.get(reverse("history_browser:index"), {"action": "bogus", "export": "csv"})[
        "Content-Type"
    ].startswith("text/html")
    assert not AuditEvent.objects.filter(action="personal_data_exported").exists()


def test_clicking_an_object_shows_its_full_history_even_for_types_outside_the_list(client, history):
    client.force_login(history["auditor"])
    grant = AuditEvent.objects.create(
        action="role_granted", actor_username="root", object_type="auth.Group", object_id="9999", object_repr="审计"
    )
    entry = next(e for e in rows(client, action="role_granted") if e["h_id"] == grant.pk)
    followed = client.get(entry["object_url"])
    assert followed.status_code == 200
    assert [(e["h_kind"], e["h_id"]) for e in followed.context["entries"]] == [("audit", grant.pk)]

    deputy_entry = rows(client, object_type="content.deputy")[0]
    assert [e["h_object"] for e in client.get(deputy_entry["object_url"]).context["entries"]] == [
        str(history["deputy"].pk)
    ] * 2


def test_a_field_change_shows_old_and_new_values_with_the_chinese_field_name(client, history):
    client.force_login(history["auditor"])
    (entry,) = rows(client, object_type="content.deputy", action="changed")
    assert entry["h_username"] == history["secretary"].username and entry["h_repr"] == "王秀英"
    detail = client.get(entry["detail_url"])
    assert detail.status_code == 200
    label = str(Deputy._meta.get_field("occupation").verbose_name)
    assert detail.context["changes"] == [{"field": label, "old": "社区书记", "new": "街道副主任"}]
    page = detail.content.decode()
    assert "职业与工作单位" in page and "社区书记" in page and "街道副主任" in page
    assert "修改前" in page and "修改后" in page


def test_a_page_revision_shows_the_title_change_against_the_previous_revision(client, history):
    client.force_login(history["auditor"])
    second = history["revisions"][1]
    detail = client.get(reverse("history_browser:detail", args=["revision", second.pk]))
    assert detail.status_code == 200
    title = next(change for change in detail.context["changes"] if change["field"] == "标题")
    assert (title["old"], title["new"]) == (OLD_TITLE, NEW_TITLE)
    page = detail.content.decode()
    assert OLD_TITLE in page and NEW_TITLE in page


def test_an_audit_event_shows_its_detail(client, history):
    client.force_login(history["auditor"])
    event = audit.record(AccountAction.PERMISSIONS_CHANGED, actor=history["secretary"], added=["<b>改</b>"])
    detail = client.get(reverse("history_browser:detail", args=["audit", event.pk]))
    page = detail.content.decode()
    assert detail.status_code == 200 and "权限变更" in page
    assert "&lt;b&gt;改&lt;/b&gt;" in page and "<b>改</b>" not in page


def test_the_csv_export_holds_the_filtered_rows_and_is_audited(client, history):
    client.force_login(history["auditor"])
    AuditEvent.objects.create(action="login_failed", actor_username="=HYPERLINK(1)", object_type="content.Deputy")
    response = client.get(reverse("history_browser:index"), {"object_type": "content.deputy", "export": "csv"})
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[0] == ["时间", "来源", "操作人", "动作", "对象类型", "对象编号", "对象"]
    assert {line[4] for line in lines[1:]} == {"content.deputy"}
    assert {line[3] for line in lines[1:]} >= {"新建", "修改", "登录失败"}
    assert ["'=HYPERLINK(1)"] == [line[2] for line in lines[1:] if line[3] == "登录失败"]  # never a formula
    event = AuditEvent.objects.get(action="personal_data_exported", actor=history["auditor"])
    assert event.detail == {"what": "history", "format": "csv", "filters": {"object_type": "content.deputy"}}


def test_the_excel_export_holds_the_filtered_rows_and_is_audited(client, history):
    from openpyxl import load_workbook

    client.force_login(history["auditor"])
    secretary = history["secretary"].username
    response = client.get(reverse("history_browser:index"), {"username": secretary, "export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("时间", "来源", "操作人")
    assert len(values) - 1 == len(rows(client, username=secretary)) and {row[2] for row in values[1:]} == {secretary}
    event = AuditEvent.objects.get(action="personal_data_exported", actor=history["auditor"])
    assert event.detail["format"] == "xlsx" and event.detail["filters"] == {"username": secretary}


def test_only_auditors_district_admins_and_superusers_may_browse(client, history, django_user_model):
    index = reverse("history_browser:index")
    detail = reverse("history_browser:detail", args=["audit", AuditEvent.objects.first().pk])
    client.force_login(history["secretary"])
    assert client.get(index).status_code == 403 and client.get(detail).status_code == 403
    assert client.get(index, {"export": "csv"}).status_code == 403
    assert index not in client.get(reverse("wagtailadmin_home")).content.decode()  # no menu item
    client.logout()
    anonymous = client.get(index)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("wagtailadmin_login"))
    assert not AuditEvent.objects.filter(action="personal_data_exported").exists()
    for user in (
        history["auditor"],
        role_user("district", role_group_name(Role.DISTRICT_ADMIN)),
        django_user_model.objects.create_superuser("root", "r@example.com", "a-long-passphrase-2026"),
    ):
        client.force_login(user)
        assert client.get(index).status_code == 200 and client.get(detail).status_code == 200
        assert index in client.get(reverse("wagtailadmin_home")).content.decode()  # the menu item


def test_the_browser_is_read_only(client, history, django_user_model):
    index = reverse("history_browser:index")
    detail = reverse("history_browser:detail", args=["audit", AuditEvent.objects.first().pk])
    readers = (
        role_user("district", role_group_name(Role.DISTRICT_ADMIN)),
        django_user_model.objects.create_superuser("root", "r@example.com", "a-long-passphrase-2026"),
    )
    # The browser itself accepts only GET: 405 for everyone allowed to read it …
    for user in readers:
        client.force_login(user)
        before = AuditEvent.objects.count()
        for method in ("post", "put", "delete"):
            assert getattr(client, method)(index).status_code == 405
            assert getattr(client, method)(detail).status_code == 405
        assert AuditEvent.objects.count() == before
    # … and the auditor role is refused every POST in the admin before any view runs (403).
    client.force_login(history["auditor"])
    before = AuditEvent.objects.count()
    assert client.post(index, {"export": "csv"}).status_code == 403
    assert client.post(detail).status_code == 403
    assert AuditEvent.objects.count() == before


def test_pagination_keeps_the_filters_url_encoded(client, history):
    client.force_login(history["auditor"])
    for _n in range(55):
        AuditEvent.objects.create(action="login_failed", actor_username="a&b=c")
    response = client.get(reverse("history_browser:index"), {"username": "a&b=c"})
    assert response.context["page_obj"].paginator.count == 55
    assert "username=a%26b%3Dc&amp;p=2" in response.content.decode()
    second = client.get(reverse("history_browser:index"), {"username": "a&b=c", "p": 2})
    assert len(second.context["entries"]) == 5


def test_a_page_of_history_costs_the_same_queries_however_long_the_history(client, history):
    client.force_login(history["auditor"])

    def count(**params):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("history_browser:index"), params)
        assert response.status_code == 200
        return len(captured), len(response.context["entries"])

    client.get(reverse("history_browser:index"))  # warm caches (content types, site)
    deputy = history["deputy"]
    Deputy.history.exclude(id=deputy.pk).delete()
    assert deputy.history.count() == 2
    for n in range(3):
        deputy.occupation = f"职务{n}"
        deputy.save()
    assert deputy.history.count() == 5
    few, shown = count(object_type="content.deputy", object_id=str(deputy.pk))
    assert shown == 5
    all_few, _ = count()
    for n in range(3, 58):
        deputy.occupation = f"职务{n}"
        deputy.save()
        AuditEvent.objects.create(action="login_failed", actor_username=f"user{n}")
    assert deputy.history.count() == 60
    many, shown = count(object_type="content.deputy", object_id=str(deputy.pk))
    assert shown == 50
    assert many == few
    assert count()[0] == all_few


# --- Rows without history until now: users, facilities, replies and photos -----------------


def test_flipping_a_users_superuser_flag_is_listed_with_its_field_diff(client, history, django_user_model):
    clerk = role_user("clerk")
    clerk.is_superuser = True
    clerk._history_user = history["secretary"]
    clerk.save()
    client.force_login(history["auditor"])
    (entry,) = rows(client, object_type="permissions.user", object_id=str(clerk.pk), action="changed")
    assert entry["h_username"] == history["secretary"].username and entry["h_repr"] == "clerk"
    detail = client.get(entry["detail_url"])
    assert detail.status_code == 200
    label = str(django_user_model._meta.get_field("is_superuser").verbose_name)
    assert detail.context["changes"] == [{"field": label, "old": "否", "new": "是"}]

    clerk.is_active = False
    clerk.save()
    latest = clerk.history.first()
    assert [change.field for change in latest.diff_against(latest.prev_record).changes] == ["is_active"]


def test_a_users_history_never_holds_the_password_or_sign_ins(client, history):
    clerk = role_user("clerk")
    fields = {field.name for field in type(clerk.history.first())._meta.fields}
    assert "password" not in fields and "last_login" not in fields
    client.post(reverse("wagtailadmin_login"), {"username": "clerk", "password": PASSWORD})
    clerk.refresh_from_db()
    assert clerk.last_login is not None
    clerk.check_password(PASSWORD)
    clerk.set_password("another-long-passphrase-2027")
    clerk.save(update_fields=["password"])
    assert clerk.history.count() == 1  # created; sign-ins and rehashes leave no row


def test_facilities_replies_and_photos_keep_field_history(loop_opinion):
    from content.models import Facility
    from workflows.models import OpinionPhoto

    facility = Facility.objects.create(name="有场所", sort_order=1)
    facility.description = "固定的接待场所"
    facility.save()
    assert [row.history_type for row in facility.history.all()] == ["~", "+"]

    opinion, handler = loop_opinion
    reply = opinion.replies.get()
    created = reply.history.get()
    assert (created.history_type, created.history_user, created.text) == ("+", handler, "已处理。")
    opinion = opinions.perform(opinion, "evaluate", capacity=opinions.CITIZEN, rating="satisfied")
    rated = reply.history.first()
    assert [change.field for change in rated.diff_against(rated.prev_record).changes] == ["rating"]
    assert rated.rating == "satisfied"

    photo = OpinionPhoto.objects.create(opinion=opinion, file=ContentFile(b"jpeg", name="p.jpg"), width=4, height=3)
    (row,) = photo.history.all()
    assert row.file == photo.file.name and row.file.startswith("opinions/")
    # Neither history table has a place for the citizen's name or phone.
    for model in (type(row), type(created)):
        names = {field.name for field in model._meta.fields}
        assert not names & {"citizen_name", "citizen_phone"}


@pytest.fixture
def loop_opinion(two_streets):
    from base.roles import department_group_name
    from tests.conftest import new_opinion, replied, station_user
    from workflows.models import Department

    department = Department.objects.create(name="区城管局")
    handler = role_user("cgj-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department))
    staff = station_user(two_streets["station"])
    return replied(new_opinion(two_streets["station"]), staff, handler, department), handler


def test_a_deleted_page_keeps_its_revisions_for_the_auditor(client, history):
    """Deleting a station (and the contact point below it) in the admin deletes Wagtail's
    revisions; their content stays readable in one audit record per page."""
    from wagtail.models import Revision

    station, point = history["station"], history["point"]
    admin = role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN))
    client.force_login(admin)
    response = client.post(reverse("wagtailadmin_pages:delete", args=[station.pk]))
    assert response.status_code == 302
    assert not Revision.page_revisions.filter(object_id=str(station.pk)).exists()

    kept = AuditEvent.objects.get(action="object_deleted", object_id=str(station.pk))
    assert kept.actor == admin and kept.detail["model"] == "content.LiaisonStationPage"
    titles = [revision["content"]["title"] for revision in kept.detail["revisions"]]
    assert titles.index(OLD_TITLE) < titles.index(NEW_TITLE)  # every revision, oldest first
    assert {revision["user"] for revision in kept.detail["revisions"]} >= {"hubin-secretary"}
    assert AuditEvent.objects.filter(action="object_deleted", object_id=str(point.pk)).count() == 1

    client.force_login(history["auditor"])
    entries = rows(client, object_type="wagtailcore.page", object_id=station.pk)
    assert "object_deleted" in {entry["h_action"] for entry in entries}
    detail = client.get(reverse("history_browser:detail", args=["audit", kept.pk])).content.decode()
    assert OLD_TITLE in detail and NEW_TITLE in detail


def test_a_deleted_deputy_keeps_its_revisions_and_field_history(history):
    deputy = history["deputy"]
    deputy.save_revision(user=history["secretary"])
    pk = deputy.pk
    deputy.delete()
    kept = AuditEvent.objects.get(action="object_deleted", object_id=str(pk))
    assert kept.detail["model"] == "content.Deputy" and kept.detail["revisions"][0]["content"]["name"] == "王秀英"
    assert Deputy.history.filter(id=pk, history_type="-").exists()


def test_each_step_of_a_process_is_named_in_the_list_not_only_its_action(client, history, loop_opinion):
    opinion, _handler = loop_opinion
    client.force_login(history["auditor"])
    listed = rows(client, action="opinion_transition", object_id=str(opinion.pk))
    labels = [entry["action_label"] for entry in reversed(listed)]
    assert labels == ["意见办理 · 受理", "意见办理 · 交办", "意见办理 · 签收", "意见办理 · 答复"]
    logins = rows(client, action="login")
    assert logins and all(entry["action_label"] == "登录" for entry in logins)  # other actions unchanged
