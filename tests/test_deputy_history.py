"""Edits to deputies keep full history: who changed what, and when."""

import pytest

from django.contrib.auth import get_user_model
from django.urls import reverse

from content.models import Deputy, Membership
from tests.conftest import make_deputy

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(db):
    return get_user_model().objects.create_superuser("editor", "editor@example.com", "a-long-passphrase-2026")


def deputy_form(deputy, **changes):
    data = {
        "name": deputy.name,
        "gender": deputy.gender,
        "congress_level": deputy.congress_level,
        "term": deputy.term,
        "constituency": deputy.constituency,
        "occupation": deputy.occupation,
        "public_phone": deputy.public_phone,
        "public_email": deputy.public_email,
        "biography": deputy.biography,
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_editing_a_deputy_in_the_admin_records_history_with_the_editor(client, editor):
    deputy = make_deputy()
    client.force_login(editor)
    url = reverse("wagtailsnippets_content_deputy:edit", args=[deputy.pk])
    response = client.post(url, deputy_form(deputy, occupation="社区卫生服务中心主任", public_phone="0571-87005678"))
    assert response.status_code == 302, response.content.decode()[:2000]

    deputy.refresh_from_db()
    assert deputy.occupation == "社区卫生服务中心主任"
    latest = deputy.history.first()
    assert latest.history_user == editor
    assert latest.history_type == "~"
    delta = latest.diff_against(latest.prev_record)
    assert {change.field for change in delta.changes} == {"occupation", "public_phone"}
    # Wagtail keeps its own revision of the snippet too, by the same user.
    assert deputy.latest_revision.user == editor


def test_creating_a_deputy_in_the_admin_records_a_creation_row(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse("wagtailsnippets_content_deputy:add"),
        {"name": "孙丽华", "congress_level": "city", "term": "第十五届", "gender": "female", "is_active": "on"},
    )
    assert response.status_code == 302
    deputy = Deputy.objects.get(name="孙丽华")
    assert deputy.history.get().history_type == "+"
    assert deputy.history.get().history_user == editor


def test_invalid_deputy_form_shows_a_chinese_error_and_saves_nothing(client, editor):
    client.force_login(editor)
    response = client.post(reverse("wagtailsnippets_content_deputy:add"), {"name": "", "congress_level": "city"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "无法创建代表" in html
    assert "必需字段" in html
    assert not Deputy.objects.exists()


def test_memberships_changed_through_the_station_page_keep_history(tree, deputy):
    membership = Membership.objects.create(station=tree["station"], deputy=deputy, role="resident")
    membership.role = "head"
    membership.save()
    assert [row.role for row in membership.history.all()] == ["head", "resident"]


def test_admin_is_in_chinese(client, editor):
    client.force_login(editor)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert '<html lang="zh-hans"' in html
    assert "控制面板" in html and "跳到主要内容" in html
