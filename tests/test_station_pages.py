"""What a resident sees on a station page, and the rules that keep the tree in order."""

import datetime as dt
import re

import pytest

from django.urls import reverse

from content.models import (
    CentreStationPage,
    ContactPointPage,
    GeneralStationPage,
    HolidayRule,
    LiaisonStationPage,
    Membership,
    MembershipRole,
    ReceptionSchedule,
)
from tests.conftest import make_deputy

pytestmark = pytest.mark.django_db


def reception_dates(html):
    return re.findall(r'data-reception-date="([\d-]+)"', html)


@pytest.fixture
def staffed_station(tree, deputy):
    station = tree["station"]
    Membership.objects.create(station=station, deputy=deputy, role=MembershipRole.HEAD, duty_phone="0571-87001234")
    rule = ReceptionSchedule.objects.create(
        station=station, week_of_month=1, weekday=4, holiday_rule=HolidayRule.POSTPONE_WEEK, title="代表联系服务群众日"
    )
    rule.duty_deputies.add(deputy)
    rule.save()  # ParentalManyToManyField changes are written on save
    return station


def test_station_page_shows_its_deputies_with_their_role(client, staffed_station):
    html = client.get(staffed_station.url).content.decode()
    assert "王秀英" in html
    assert "站长" in html
    assert "0571-87001234" in html
    assert reverse("deputy_detail", args=[Membership.objects.get().deputy_id]) in html


def test_station_page_lists_next_reception_dates_with_national_day_postponed(client, staffed_station, fixed_today):
    fixed_today(dt.date(2026, 9, 25))
    html = client.get(staffed_station.url).content.decode()
    # 1st Friday of October 2026 is 10-02, inside the National Day holiday: moved a week on.
    assert reception_dates(html)[:3] == ["2026-10-09", "2026-11-06", "2026-12-04"]
    assert "因国庆节，由10月2日顺延" in html
    assert "值班代表" in html


def test_station_page_lists_child_stations_and_breadcrumbs(client, tree):
    html = client.get(tree["station"].url).content.decode()
    assert "东平巷网格联络点" in html
    assert tree["point"].url in html
    assert "湖滨街道人大代表联络中心站" in html  # breadcrumb up the tree


def test_contact_point_page_renders_level_and_street(client, tree):
    html = client.get(tree["point"].url).content.decode()
    assert "联络点" in html
    assert "湖滨街道" in html


def test_station_without_coordinates_has_no_map_link(client, tree):
    assert "查看地图" not in client.get(tree["station"].url).content.decode()
    assert "查看地图" in client.get(tree["centre"].url).content.decode()


def test_descendant_stations_inherit_the_street_of_their_centre_station(tree, street):
    assert tree["station"].street == street
    assert tree["point"].street == street
    assert tree["general"].street is None


def test_user_written_text_is_escaped(client, tree):
    station = tree["station"]
    station.intro = "<script>alert('x')</script>停车"
    station.save_revision().publish()
    html = client.get(station.url).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


class TestPageTypeRules:
    def test_levels_can_only_be_created_under_the_level_above(self, tree):
        assert GeneralStationPage.can_create_at(tree["home"]) is False  # only one 总站 per district
        assert CentreStationPage.can_create_at(tree["general"])
        assert not CentreStationPage.can_create_at(tree["home"])
        assert LiaisonStationPage.can_create_at(tree["centre"])
        assert not LiaisonStationPage.can_create_at(tree["general"])
        assert not LiaisonStationPage.can_create_at(tree["point"])

    def test_a_contact_point_may_sit_under_a_centre_or_a_community_station(self, tree):
        assert ContactPointPage.can_create_at(tree["centre"])
        assert ContactPointPage.can_create_at(tree["station"])
        assert not ContactPointPage.can_create_at(tree["general"])
        assert not ContactPointPage.can_create_at(tree["point"])

    def test_admin_refuses_to_add_a_station_at_the_wrong_level(self, admin_client, tree):
        url = reverse("wagtailadmin_pages:add", args=["content", "liaisonstationpage", tree["general"].pk])
        response = admin_client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
        url = reverse("wagtailadmin_pages:add", args=["content", "liaisonstationpage", tree["centre"].pk])
        assert admin_client.get(url).status_code == 200

    def test_moving_a_station_to_a_wrong_level_is_refused(self, tree):
        assert not tree["station"].specific.can_move_to(tree["general"])
        assert tree["point"].specific.can_move_to(tree["centre"])

    def test_a_centre_station_needs_a_street(self, tree):
        from django.core.exceptions import ValidationError

        page = CentreStationPage(title="无街道中心站", slug="nostreet")
        with pytest.raises(ValidationError) as excinfo:
            tree["general"].add_child(instance=page)
        assert "street" in excinfo.value.message_dict


def test_moving_a_station_to_another_street_updates_its_subtree(tree, street):
    from content.models import Street
    from content.tree import add_station

    other = Street.objects.create(name="清波街道", slug="qingbo")
    other_centre = add_station(tree["general"], CentreStationPage(title="清波街道中心站", slug="qingbo", street=other))
    tree["station"].move(other_centre, pos="last-child")
    tree["point"].refresh_from_db()
    assert tree["point"].street == other


def test_deputy_profile_lists_stations_and_upcoming_duties(client, staffed_station, deputy, fixed_today):
    fixed_today(dt.date(2026, 9, 25))
    second = make_deputy("李建国")
    Membership.objects.create(station=staffed_station, deputy=second, role=MembershipRole.RESIDENT)
    html = client.get(reverse("deputy_detail", args=[deputy.pk])).content.decode()
    assert "东平巷代表联络站" in html
    assert "站长" in html
    assert reception_dates(html)[0] == "2026-10-09"
    assert "李建国" not in html  # only this deputy's duties and stations


def test_deputy_list_filters_by_congress_level(client, db):
    make_deputy("张全国", level="national")
    make_deputy("赵街道", level="street")
    html = client.get(reverse("deputy_list"), {"level": "national"}).content.decode()
    assert "张全国" in html and "赵街道" not in html


def test_inactive_deputies_have_no_public_profile(client, db):
    gone = make_deputy("钱离任", is_active=False)
    assert client.get(reverse("deputy_detail", args=[gone.pk])).status_code == 404


def test_ended_memberships_leave_the_wall(client, tree, deputy):
    Membership.objects.create(
        station=tree["station"], deputy=deputy, start_date=dt.date(2020, 1, 1), end_date=dt.date(2021, 1, 1)
    )
    assert "王秀英" not in client.get(tree["station"].url).content.decode()


def test_elder_mode_is_switched_on_and_persists_in_a_cookie(client, tree):
    response = client.post(reverse("elder_mode"), {"elder": "1", "next": tree["station"].url})
    assert response.status_code == 302 and response["Location"] == tree["station"].url
    html = client.get(tree["station"].url).content.decode()
    assert '<html lang="zh-Hans" class="elder">' in html
    client.post(reverse("elder_mode"), {"elder": "0", "next": "/"})
    assert 'class="elder"' not in client.get(tree["station"].url).content.decode()


def test_elder_mode_refuses_to_redirect_off_site(client, db):
    response = client.post(reverse("elder_mode"), {"elder": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_home_page_shows_station_counts_and_centre_stations(client, tree):
    html = client.get("/").content.decode()
    assert "湖滨街道人大代表联络中心站" in html
    assert "区人大代表联络总站" in html


def test_home_page_counts_stations_per_level(client, tree):
    from content.models import LiaisonStationPage
    from content.tree import add_station

    add_station(tree["centre"], LiaisonStationPage(title="第二联络站", slug="second"))
    html = client.get("/").content.decode()
    assert "<strong>2</strong> 个联络站" in html
    assert "<strong>1</strong> 个中心站" in html


def test_public_pages_stay_chinese_for_an_english_browser(client, tree, deputy, fixed_today):
    fixed_today(dt.date(2026, 9, 25))
    rule = ReceptionSchedule.objects.create(station=tree["station"], week_of_month=1, weekday=4)
    rule.duty_deputies.add(deputy)
    rule.save()
    html = client.get(tree["station"].url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "星期五" in html and "Friday" not in html


def test_public_pages_set_no_cookies_so_they_can_be_cached(client, tree):
    response = client.get(tree["station"].url)
    assert not response.cookies


def test_pages_of_two_stations_read_in_turn_each_show_their_own_deputies_and_days(client, tree):
    # The station page's queries are compiled once and run again with each station's values
    # (base.prepared): nothing of one station may reach the next one's page.
    pages = {tree["station"]: "东平站代表", tree["point"]: "网格点代表"}
    for station, name in pages.items():
        deputy = make_deputy(name)
        Membership.objects.create(station=station, deputy=deputy, role=MembershipRole.HEAD)
        rule = ReceptionSchedule.objects.create(station=station, title=f"{name}接待日", weekday=2, recurrence="weekly")
        rule.duty_deputies.add(deputy)
        rule.save()
    for _ in range(2):
        for station, name in pages.items():
            html = client.get(station.url).content.decode()
            other = next(other for other in pages.values() if other != name)
            assert name in html and f"{name}接待日" in html
            assert other not in html
