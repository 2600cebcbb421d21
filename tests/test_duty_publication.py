"""The yearly publication of deputies' points: a page whose figures are frozen when it is
drafted, published through the usual approval, offered as Excel, and shown on each deputy's
page; editing a record afterwards changes nothing that was published."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from django.urls import reverse

from content.models import Membership
from duties.models import DutyItem, PointsPublicationPage
from duties.records import DUTY_RECORDS, Entry, record_by_staff
from tests.conftest import make_deputy, street_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(two_streets, street, fixed_today):
    fixed_today(dt.date(2027, 1, 10))
    station = two_streets["station"]
    wang, li = make_deputy("王芳"), make_deputy("李强")
    for deputy in (wang, li):
        Membership.objects.create(station=station, deputy=deputy)
    secretary = street_user(street)
    research = DutyItem.objects.get(scheme__year=2026, number=9)
    record = record_by_staff(Entry(research, dt.date(2026, 5, 6), station, "调研", wang, [li]), secretary)
    page = PointsPublicationPage(title="2026年度代表履职积分公布", slug="points-2026", year=2026)
    two_streets["general"].add_child(instance=page)
    page.save_revision().publish()
    return {**two_streets, "wang": wang, "li": li, "record": record, "page": page, "secretary": secretary}


def test_the_published_page_lists_every_deputy_with_frozen_points(client, published):
    page = client.get(published["page"].url).content.decode()
    assert "王芳" in page and "3.0" in page and "1.5" in page
    # A record voided after publication: the page still shows what was published.
    DUTY_RECORDS.perform(published["record"], "void", user=published["secretary"], note="重复登记")
    assert "3.0" in client.get(published["page"].url).content.decode()


def test_a_fresh_snapshot_only_when_asked(published):
    page = published["page"]
    DUTY_RECORDS.perform(published["record"], "void", user=published["secretary"], note="重复登记")
    page.title = "2026年度代表履职积分公布（修订）"
    page.full_clean()
    assert next(row for row in page.rows if row["name"] == "王芳")["total"] == "3.0"
    page.refresh = True
    page.full_clean()
    assert next(row for row in page.rows if row["name"] == "王芳")["total"] == "0.0"
    assert page.refresh is False


def test_the_excel_file_holds_the_published_figures(client, published):
    response = client.get(published["page"].url + published["page"].reverse_subpage("export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("姓名", "代表层级", "所在街道", "年度积分", "已核实记录", "层级内排名")
    assert ("王芳", "区人大代表", "湖滨街道", 3.0, 1, 1) in rows


def test_the_deputys_page_shows_the_published_points(client, published):
    page = client.get(reverse("deputy_detail", args=[published["wang"].pk])).content.decode()
    assert "年度履职积分" in page and "2026年</a>：3.0 分" in page
    published["page"].unpublish()
    assert "年度履职积分" not in client.get(reverse("deputy_detail", args=[published["wang"].pk])).content.decode()
