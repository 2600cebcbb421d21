"""Staff manage a station's wall and reception days from the page editor in the Wagtail admin."""

import pytest

from django.contrib.auth import get_user_model
from django.urls import reverse

from wagtail.test.utils.form_data import querydict_from_html

from content.models import Membership, ReceptionSchedule, StationPage
from tests.conftest import make_deputy

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("district", "district@example.com", "a-long-passphrase-2026")


def editor_form(client, url):
    """The page editor's form as a browser would submit it (StreamFields are built by JS)."""
    data = querydict_from_html(client.get(url).content.decode(), form_id="page-edit-form")
    data["signature_story-count"] = "0"
    return data


@pytest.mark.parametrize("level", ["general", "centre", "station", "point"])
def test_every_station_level_opens_in_the_page_editor(client, admin_user, tree, level):
    client.force_login(admin_user)
    page = tree[level]
    response = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for tab in ("站点信息", "代表与上墙", "接待日", "一站一品"):
        assert tab in html


def test_deputies_and_a_reception_day_are_added_and_published_from_the_station_editor(client, admin_user, tree):
    client.force_login(admin_user)
    station = tree["station"]
    head, resident = make_deputy("周站长"), make_deputy("吴代表", level="city")
    url = reverse("wagtailadmin_pages:edit", args=[station.pk])
    data = editor_form(client, url)
    data.update(
        {
            "memberships-TOTAL_FORMS": "2",
            "memberships-0-deputy": str(head.pk),
            "memberships-0-role": "head",
            "memberships-0-ORDER": "1",
            "memberships-1-deputy": str(resident.pk),
            "memberships-1-role": "resident",
            "memberships-1-ORDER": "2",
            "reception_schedules-TOTAL_FORMS": "1",
            "reception_schedules-0-title": "代表联系服务群众日",
            "reception_schedules-0-recurrence": "monthly",
            "reception_schedules-0-week_of_month": "3",
            "reception_schedules-0-weekday": "1",
            "reception_schedules-0-start_time": "09:00",
            "reception_schedules-0-end_time": "11:30",
            "reception_schedules-0-holiday_rule": "postpone_week",
            "reception_schedules-0-ORDER": "1",
            "action-publish": "action-publish",
        }
    )
    data.setlist("reception_schedules-0-duty_deputies", [str(head.pk), str(resident.pk)])
    response = client.post(url, dict(data.lists()))  # keep every value of multi-valued fields
    assert response.status_code == 302, response.content.decode()[:3000]

    assert list(Membership.objects.filter(station=station).values_list("deputy__name", "role")) == [
        ("周站长", "head"),
        ("吴代表", "resident"),
    ]
    rule = ReceptionSchedule.objects.get(station=station)
    assert set(rule.duty_deputies.values_list("name", flat=True)) == {"周站长", "吴代表"}
    html = client.get(StationPage.objects.get(pk=station.pk).url).content.decode()
    assert "周站长" in html and "吴代表" in html and "代表联系服务群众日" in html


def test_a_reception_rule_without_a_weekday_is_refused_with_a_chinese_message(client, admin_user, tree):
    client.force_login(admin_user)
    station = tree["station"]
    url = reverse("wagtailadmin_pages:edit", args=[station.pk])
    data = editor_form(client, url)
    data.update(
        {
            "reception_schedules-TOTAL_FORMS": "1",
            "reception_schedules-0-title": "接待日",
            "reception_schedules-0-recurrence": "monthly",
            "reception_schedules-0-week_of_month": "3",
            "reception_schedules-0-weekday": "",
            "reception_schedules-0-start_time": "09:00",
            "reception_schedules-0-end_time": "11:30",
            "reception_schedules-0-holiday_rule": "postpone_week",
            "reception_schedules-0-ORDER": "1",
            "action-publish": "action-publish",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "请选择星期几" in response.content.decode()
    assert not ReceptionSchedule.objects.exists()


def test_deputy_editor_shows_the_stations_the_deputy_sits_in(client, admin_user, tree):
    client.force_login(admin_user)
    deputy = make_deputy()
    Membership.objects.create(station=tree["point"], deputy=deputy, role="liaison")
    html = client.get(reverse("wagtailsnippets_content_deputy:edit", args=[deputy.pk])).content.decode()
    assert "东平巷网格联络点" in html and "联络员" in html


def test_holiday_overrides_are_listed_in_the_admin(client, admin_user):
    from base.models import CalendarDay

    CalendarDay.objects.create(date="2027-02-05", kind="holiday", name="春节")
    client.force_login(admin_user)
    html = client.get(reverse("wagtailsnippets_base_calendarday:list")).content.decode()
    assert "春节" in html
