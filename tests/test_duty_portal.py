"""代表e站: the deputy's own portal on the public site. Only the deputy linked to the account
is served; the home page costs the same number of queries with 1 record or 30; a self-report
with bad input is refused with a reason and stores nothing; a reception duty is confirmed
once; a returned report is resubmitted."""

import datetime as dt

import pytest
from PIL import Image

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from base.roles import Role, role_group_name
from content.models import Membership, ReceptionSchedule
from duties.models import DeputyAccount, DutyAttendance, DutyItem, DutyRecord, RecordState
from duties.records import DUTY_RECORDS, Entry, record_by_staff
from tests.conftest import make_deputy, role_user, station_user, street_user

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)


@pytest.fixture
def world(two_streets, street, fixed_today):
    fixed_today(TODAY)
    station = two_streets["station"]
    wang, li = make_deputy("王芳"), make_deputy("李强")
    for deputy in (wang, li):
        Membership.objects.create(station=station, deputy=deputy)
    schedule = ReceptionSchedule.objects.create(station=station, recurrence="monthly", week_of_month=1, weekday=4)
    schedule.duty_deputies.set([wang])
    schedule.save()
    user = role_user("wang-fang", role_group_name(Role.DEPUTY))
    DeputyAccount.objects.create(deputy=wang, user=user)
    return {
        **two_streets,
        "wang": wang,
        "li": li,
        "schedule": schedule,
        "user": user,
        "staff": station_user(station),
        "secretary": street_user(street),
    }


def item(number):
    return DutyItem.objects.get(scheme__year=2026, number=number)


def test_only_a_signed_in_deputy_gets_the_portal(client, world):
    assert client.get(reverse("duty_portal:home"))["Location"].startswith(reverse("wagtailadmin_login"))
    client.force_login(world["staff"])
    assert client.get(reverse("duty_portal:home")).status_code == 403
    client.force_login(world["user"])
    page = client.get(reverse("duty_portal:home")).content.decode()
    assert "代表e站" in page and "王芳" in page and "东平巷代表联络站" in page


def test_the_home_shows_points_duties_and_records_in_a_fixed_number_of_queries(client, world):
    client.force_login(world["user"])
    record_by_staff(Entry(item(10), dt.date(2026, 3, 2), world["station"], "视察", world["wang"]), world["staff"])
    client.get(reverse("duty_portal:home"))
    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("duty_portal:home")).content.decode()
    assert "<strong>3.0</strong> 分" in page  # 视察: 3 the first time
    assert "确认到岗" in page  # the November duty waits for confirmation
    for day in range(1, 30):
        record_by_staff(
            Entry(item(10), dt.date(2026, 4, day), world["station"], "视察", world["wang"], [world["li"]]),
            world["staff"],
        )
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("duty_portal:home")).content.decode()
    assert "已达上限 9.0" in page
    assert len(many) == len(few) <= 15, "\n".join(q["sql"][:150] for q in many.captured_queries)


def test_confirming_a_duty_twice_records_it_once(client, world):
    client.force_login(world["user"])
    for _ in range(2):
        response = client.post(
            reverse("duty_portal:confirm"), {"schedule": world["schedule"].pk, "date": "2026-11-06"}, follow=True
        )
    assert "已确认 2026-11-06" in response.content.decode()
    assert DutyAttendance.objects.count() == 1 and DutyRecord.objects.count() == 1
    assert "确认到岗" not in client.get(reverse("duty_portal:home")).content.decode()


@pytest.mark.parametrize(
    ("schedule", "date", "message"),
    [("own", "2026-11-13", "没有这项接待安排"), ("own", "2026-13-45", "日期格式不正确"), ("own", "", "日期格式不正确")],
)
def test_bad_confirmations_say_why(client, world, schedule, date, message):
    client.force_login(world["user"])
    response = client.post(
        reverse("duty_portal:confirm"), {"schedule": world["schedule"].pk, "date": date}, follow=True
    )
    assert message in response.content.decode()
    assert not DutyAttendance.objects.exists()


def report(client, **overrides):
    data = {"item": item(9).pk, "date": "2026-11-20", "station": "", "text": "走访东平巷居民，了解停车难。"}
    return client.post(reverse("duty_portal:report"), data | overrides, follow=True)


def test_a_self_report_waits_for_the_street_and_a_return_comes_back_to_the_deputy(client, world):
    client.force_login(world["user"])
    response = report(client, station=world["station"].pk, others=[world["li"].pk])
    assert "待街道人大工委核实" in response.content.decode()
    record = DutyRecord.objects.get()
    assert record.state == RecordState.PENDING and record.participant_names() == "王芳（牵头）、李强（参与）"
    DUTY_RECORDS.perform(record, "return", user=world["secretary"], note="请写明走访户数。")
    page = client.get(reverse("duty_portal:record", args=[record.pk])).content.decode()
    assert "请写明走访户数。" in page and "修改后重新提交" in page
    response = client.post(
        reverse("duty_portal:record", args=[record.pk]),
        {"action": "resubmit", "version": record.version + 1, "text": "走访东平巷居民12户。"},
        follow=True,
    )
    record.refresh_from_db()
    assert record.state == RecordState.PENDING and record.text == "走访东平巷居民12户。"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"date": "2099-01-04"}, "晚于今天"),
        ({"date": "2026-02-30"}, "日期"),
        ({"text": ""}, "履职内容</a>：必需字段"),
        ({"item": "session"}, "选择一个有效的选项"),
    ],
)
def test_bad_self_reports_are_refused_with_a_reason_and_store_nothing(client, world, overrides, message):
    client.force_login(world["user"])
    if overrides.get("item") == "session":
        overrides = {**overrides, "item": item(1).pk}  # 出席大会: not self-reportable, not offered
    response = report(client, station=world["station"].pk, **overrides)
    assert message in response.content.decode()
    assert not DutyRecord.objects.exists()


def test_another_deputys_record_is_not_found(client, world):
    record = record_by_staff(
        Entry(item(10), dt.date(2026, 3, 2), world["station"], "视察", world["li"]), world["staff"]
    )
    client.force_login(world["user"])
    assert client.get(reverse("duty_portal:record", args=[record.pk])).status_code == 404


def test_the_portal_asks_for_the_second_step_like_the_admin(client, world, settings):
    settings.LIANLUO_REQUIRE_2FA = True
    client.force_login(world["user"])
    response = client.get(reverse("duty_portal:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor_setup"))
    assert "next=%2Fe%2F" in response["Location"]


# --- Photos of an activity ------------------------------------------------------------------------


def test_a_self_reported_photo_is_kept_without_its_location_and_shown_only_to_those_who_see_the_record(client, world):
    from tests.test_opinion_public import GPS_TAG, jpeg_with_gps

    client.force_login(world["user"])
    report(client, station=world["station"].pk, photos=[jpeg_with_gps("sign-in.jpg")])
    record = DutyRecord.objects.get()
    (photo,) = record.photos.all()
    with photo.file.open("rb") as stored:
        exif = Image.open(stored).getexif()
    assert GPS_TAG not in exif and 0x010F not in exif
    assert not str(photo.file.path).startswith(str(settings.MEDIA_ROOT))  # outside the public media tree

    page = client.get(reverse("duty_portal:record", args=[record.pk])).content.decode()
    url = reverse("duty_portal:photo", args=[photo.pk])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    # The street committee verifying it sees it in the admin; another street does not.
    client.force_login(world["secretary"])
    assert (
        reverse("duty_records:photo", args=[photo.pk])
        in client.get(reverse("duty_records:inspect", args=[record.pk])).content.decode()
    )
    assert client.get(reverse("duty_records:photo", args=[photo.pk])).status_code == 200
    client.force_login(street_user(world["other_street"], "qingbo-secretary"))
    assert client.get(reverse("duty_records:photo", args=[photo.pk])).status_code == 404


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_stored(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world["user"])
    fake = SimpleUploadedFile("sign-in.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    response = report(client, station=world["station"].pk, photos=[fake])
    assert "不是可以识别的图片文件" in response.content.decode()
    assert not DutyRecord.objects.exists()


def test_staff_attach_photos_when_recording_in_the_admin(client, world):
    from tests.test_opinion_public import jpeg_with_gps

    client.force_login(world["staff"])
    response = client.post(
        reverse("duty_records:add"),
        {
            "item": item(10).pk,
            "date": "2026-11-02",
            "station": world["station"].pk,
            "text": "视察东平巷加装电梯进展",
            "lead": world["wang"].pk,
            "photos": [jpeg_with_gps("a.jpg"), jpeg_with_gps("b.jpg")],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = DutyRecord.objects.get()
    assert record.photos.count() == 2 and record.state == RecordState.VERIFIED
