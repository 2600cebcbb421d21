"""The auditors' one history browser: every source, filters, diffs, export, read-only."""

import datetime as dt

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from permissions.models import AuditEvent
from permissions.roles import Role, role_group_name
from tests.conftest import make_deputy, role_user, street_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(two_streets, street):
    deputy = make_deputy(name="王秀英", occupation="社区书记")
    deputy.occupation = "街道副主任"
    deputy.save()
    station = two_streets["station"]
    secretary = street_user(street)
    station.title = "东平巷代表联络站（改名）"
    station.save_revision(user=secretary).publish()
    AuditEvent.objects.create(action="login", actor=secretary, actor_username=secretary.username)
    return {
        **two_streets,
        "deputy": deputy,
        "secretary": secretary,
        "auditor": role_user("auditor", role_group_name(Role.AUDITOR)),
    }


def rows(client, **params):
    response = client.get(reverse("history_browser:index"), params)
    assert response.status_code == 200
    return response.context["entries"], response.content.decode()


def test_the_timeline_shows_every_source(client, history):
    client.force_login(history["auditor"])
    entries, _page = rows(client)
    kinds = {entry["h_kind"] for entry in entries}
    assert "h:content.deputy" in kinds and "revision" in kinds and "pagelog" in kinds and "audit" in kinds


def test_filters_narrow_the_timeline(client, history):
    client.force_login(history["auditor"])
    deputy = history["deputy"]
    by_object, _ = rows(client, object_type="content.deputy", object_id=str(deputy.pk))
    assert by_object and all(e["h_type"] == "content.deputy" and e["h_object"] == str(deputy.pk) for e in by_object)
    assert {e["h_action"] for e in by_object} >= {"created", "changed"}
    by_user, _ = rows(client, username=history["secretary"].username)
    assert by_user and all(e["h_username"] == history["secretary"].username for e in by_user)
    by_action, _ = rows(client, action="login")
    assert by_action and {e["h_kind"] for e in by_action} == {"audit"}
    by_source, _ = rows(client, source="revision")
    assert by_source and {e["h_kind"] for e in by_source} == {"revision"}
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    future, _ = rows(client, date_from=tomorrow.isoformat())
    assert future == []
    today, _ = rows(client, date_from=timezone.localdate().isoformat(), date_to=timezone.localdate().isoformat())
    assert len(today) > 3


def test_a_field_change_shows_old_and_new_values_with_the_chinese_field_name(client, history):
    client.force_login(history["auditor"])
    entries, _ = rows(client, object_type="content.deputy", action="changed")
    detail = client.get(entries[0]["detail_url"])
    page = detail.content.decode()
    assert detail.status_code == 200
    assert "职务" in page or "职业" in page
    assert "社区书记" in page and "街道副主任" in page


def test_a_page_revision_shows_the_title_change(client, history):
    client.force_login(history["auditor"])
    entries, _ = rows(client, source="revision", object_id=str(history["station"].pk))
    page = client.get(entries[0]["detail_url"]).content.decode()
    assert "东平巷代表联络站（改名）" in page and "东平巷代表联络站" in page


def test_the_export_holds_the_filtered_rows_and_is_audited(client, history):
    client.force_login(history["auditor"])
    response = client.get(reverse("history_browser:index"), {"object_type": "content.deputy", "export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("时间,来源,操作人,动作")
    assert "content.deputy" in body and "wagtailcore.page" not in body
    event = AuditEvent.objects.get(action="personal_data_exported", actor=history["auditor"])
    assert event.detail["what"] == "history" and event.detail["filters"] == {"object_type": "content.deputy"}


def test_only_auditors_and_district_admins_may_browse(client, history):
    client.force_login(history["secretary"])
    assert client.get(reverse("history_browser:index")).status_code == 403
    client.logout()
    anonymous = client.get(reverse("history_browser:index"))
    assert anonymous.status_code == 302 and reverse("wagtailadmin_login") in anonymous["Location"]
    admin = role_user("district", role_group_name(Role.DISTRICT_ADMIN))
    client.force_login(admin)
    assert client.get(reverse("history_browser:index")).status_code == 200


def test_the_browser_is_read_only(client, history, django_user_model):
    client.force_login(history["auditor"])
    assert client.post(reverse("history_browser:index")).status_code == 403  # auditors: no POST at all
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "a-long-passphrase-2026"))
    assert client.post(reverse("history_browser:index")).status_code == 405


def test_a_page_of_history_costs_the_same_queries_however_long_the_history(client, history):
    client.force_login(history["auditor"])

    def count():
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("history_browser:index"))
        return len(captured)

    few = count()
    deputy = history["deputy"]
    for n in range(60):
        deputy.occupation = f"职务{n}"
        deputy.save()
        AuditEvent.objects.create(action="login_failed", actor_username=f"user{n}")
    assert count() == few
