"""A citizen submits an opinion, keeps the receipt, follows it, rates the reply and reads
published results; bad input gets a clear message and stores nothing."""

import io
import time
from unittest import mock

import pytest
from PIL import Image

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from base.roles import Role, department_group_name, role_group_name
from tests.conftest import new_opinion, replied, role_user, station_user, street_user
from workflows import opinions
from workflows.intake import rating_token
from workflows.models import Category, Department, Opinion, OpinionPhoto

pytestmark = pytest.mark.django_db
GPS_TAG = 0x8825


def station_form_url(station):
    return station.url + "opinion/"


def form_data(**extra):
    return {
        "category": Category.objects.get(name="交通出行").pk,
        "title": "东平巷夜间停车难",
        "content": "小区周边夜间停车位不足，希望增设临时停车位。",
        "citizen_name": "张三丰",
        "citizen_phone": "13812345678",
        "publish_consent": "on",
        "idempotency_key": "k-" + extra.pop("key", "1"),
        **extra,
    }


def jpeg_with_gps(name="photo.jpg") -> SimpleUploadedFile:
    image = Image.new("RGB", (64, 48), "blue")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_TAG] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_a_citizen_submits_at_a_station_and_gets_a_receipt(client, tree):
    response = client.post(station_form_url(tree["station"]), form_data())
    assert response.status_code == 302
    opinion = Opinion.objects.get()
    assert (opinion.channel, opinion.station.pk, opinion.street) == (
        "online",
        tree["station"].pk,
        tree["station"].street,
    )
    receipt = client.get(response["Location"])
    page = receipt.content.decode()
    assert opinion.receipt_no in page and "请记下回执编号" in page
    assert "张三丰" not in page and "13812345678" not in page
    assert opinion.receipt_no not in response["Location"]  # the link holds no guessable number


def test_the_station_page_offers_the_form_and_the_qr_code_marks_the_channel(client, tree):
    page = client.get(tree["station"].url).content.decode()
    assert station_form_url(tree["station"]) in page
    scanned = client.get(tree["station"].url, {"src": "qr"}).content.decode()  # where the QR code leads
    assert station_form_url(tree["station"]) + "?src=qr" in scanned
    client.post(station_form_url(tree["station"]) + "?src=qr", form_data())
    assert Opinion.objects.get().channel == "qr"


def test_the_standalone_form_lets_the_citizen_pick_the_station(client, tree):
    form = client.get(reverse("opinion_new")).content.decode()
    assert '<optgroup label="湖滨街道">' in form and "东平巷代表联络站" in form
    response = client.post(reverse("opinion_new"), form_data(station=tree["point"].pk))
    assert response.status_code == 302
    assert Opinion.objects.get().station.pk == tree["point"].pk
    missing = client.post(reverse("opinion_new"), form_data(key="2"))
    assert missing.status_code == 400 and "请选择站点" in missing.content.decode()


def test_photos_are_kept_without_their_location_outside_the_public_media(client, tree, settings):
    response = client.post(station_form_url(tree["station"]), {**form_data(), "photos": [jpeg_with_gps()]})
    assert response.status_code == 302
    photo = OpinionPhoto.objects.get()
    with photo.file.open("rb") as stored:
        exif = Image.open(stored).getexif()
    assert GPS_TAG not in exif and 0x010F not in exif
    assert photo.file.name.startswith("opinions/")
    assert photo.file.path.startswith(str(settings.LIANLUO_PRIVATE_MEDIA_ROOT))
    assert not photo.file.path.startswith(str(settings.MEDIA_ROOT))


def phone_mpo(name="IMG_20260301.jpg") -> SimpleUploadedFile:
    """What many phones save (Ultra HDR, gain maps): a JPEG plus a second frame, as MPO."""
    photo = Image.new("RGB", (64, 48), "blue")
    gain_map = Image.new("RGB", (32, 24), "gray")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_TAG] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}
    buffer = io.BytesIO()
    photo.save(buffer, "MPO", save_all=True, append_images=[gain_map], exif=exif, xmp=b"<x:xmpmeta hdrgm/>")
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_a_phone_photo_read_as_mpo_is_kept_as_a_plain_jpeg_without_metadata(client, tree):
    response = client.post(station_form_url(tree["station"]), {**form_data(), "photos": [phone_mpo()]})
    assert response.status_code == 302
    photo = OpinionPhoto.objects.get()
    assert photo.file.name.endswith(".jpg") and (photo.width, photo.height) == (64, 48)
    with photo.file.open("rb") as stored:
        image = Image.open(stored)
        assert image.format == "JPEG" and getattr(image, "n_frames", 1) == 1
        assert not image.getexif() and "xmp" not in image.info and "mp" not in image.info
        assert image.size == (64, 48) and image.convert("RGB").getpixel((10, 10))[2] > 200  # the blue photo


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("notes.txt", b"not an image at all", content_type="text/plain"), "不是可以识别的图片"),
        (
            SimpleUploadedFile("huge.jpg", b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 10), content_type="image/jpeg"),
            "5 MB",
        ),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(client, tree, upload, message):
    response = client.post(station_form_url(tree["station"]), {**form_data(), "photos": [upload]})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Opinion.objects.exists() and not OpinionPhoto.objects.exists()


def test_more_than_three_photos_are_refused(client, tree):
    photos = [jpeg_with_gps(f"p{i}.jpg") for i in range(4)]
    response = client.post(station_form_url(tree["station"]), {**form_data(), "photos": photos})
    assert response.status_code == 400 and "最多上传 3 张照片" in response.content.decode()
    assert not Opinion.objects.exists()


@pytest.mark.parametrize("phone", ["1381234567", "057188886666", "1381234567a", "23812345678", ""])
def test_invalid_phone_numbers_are_refused(client, tree, phone):
    response = client.post(station_form_url(tree["station"]), form_data(citizen_phone=phone))
    assert response.status_code == 400
    assert "手机号码" in response.content.decode()
    assert not Opinion.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"), [("", "请填写意见内容"), ("好", "至少 5 个字"), ("长" * 2001, "2000 字")]
)
def test_empty_or_huge_content_is_refused(client, tree, content, message):
    response = client.post(station_form_url(tree["station"]), form_data(content=content))
    assert response.status_code == 400 and message in response.content.decode()
    assert not Opinion.objects.exists()


def test_input_is_kept_when_the_form_is_refused(client, tree):
    response = client.post(station_form_url(tree["station"]), form_data(citizen_phone="123"))
    page = response.content.decode()
    assert "东平巷夜间停车难" in page and "小区周边夜间停车位不足" in page and 'role="alert"' in page


def test_script_tags_are_stored_as_typed_and_shown_escaped(client, two_streets):
    tree = two_streets
    script = "<script>alert(1)</script>"
    response = client.post(
        station_form_url(tree["station"]),
        form_data(title=f"标题{script}", content=f"内容内容内容{script}", citizen_name=f"张{script}"),
    )
    opinion = Opinion.objects.get()
    assert opinion.title == f"标题{script}" and opinion.citizen_name == f"张{script}"
    receipt = client.get(response["Location"]).content.decode()
    assert script not in receipt and "&lt;script&gt;alert(1)&lt;/script&gt;" in receipt
    status = client.post(reverse("opinion_status"), {"receipt_no": opinion.receipt_no, "phone_last4": "5678"})
    assert status.status_code == 200 and script not in status.content.decode()
    # And staff see it escaped too.
    staff = station_user(tree["station"])
    client.force_login(staff)
    detail = client.get(reverse("opinions:inspect", args=[opinion.pk])).content.decode()
    assert script not in detail and "&lt;script&gt;" in detail


def test_script_tags_in_staff_fields_are_shown_escaped_everywhere(client, two_streets):
    """Reply, notes and the public summary are typed by staff; every page escapes them."""
    tree = two_streets
    script = "<script>alert(2)</script>"
    department = Department.objects.create(name="区城管局")
    staff = station_user(tree["station"])
    handler = role_user("cgj", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department))
    editor = role_user("editor", role_group_name(Role.EDITOR))
    opinion = new_opinion(tree["station"], title=f"标题{script}")
    opinion = opinions.perform(opinion, "accept", user=staff, note=f"受理备注{script}")
    opinion = opinions.perform(opinion, "assign", user=staff, department=department, note=f"交办{script}")
    opinion = opinions.perform(opinion, "sign", user=handler)
    opinion = opinions.perform(opinion, "reply", user=handler, outcome="resolved", text=f"答复{script}")
    opinion = opinions.perform(
        opinion, "request_publication", user=staff, summary=f"摘要{script}", public_reply=f"答复{script}"
    )
    opinions.perform(opinion, "approve_publication", user=editor)
    pages = {
        "results": client.get("/results/"),
        "station": client.get(tree["station"].url),
        "status": client.post(reverse("opinion_status"), {"receipt_no": opinion.receipt_no, "phone_last4": "5678"}),
    }
    client.force_login(staff)
    pages["detail"] = client.get(reverse("opinions:inspect", args=[opinion.pk]))
    for name, response in pages.items():
        body = response.content.decode()
        assert response.status_code == 200, name
        assert script not in body, name
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in body, name
    assert "摘要&lt;script&gt;" in pages["results"].content.decode()
    assert "答复&lt;script&gt;" in pages["status"].content.decode()
    detail = pages["detail"].content.decode()
    assert "受理备注&lt;script&gt;" in detail and "交办&lt;script&gt;" in detail


def test_the_standalone_form_picks_a_street_then_a_station(client, two_streets, street):
    tree = {**two_streets, "street": street}
    everything = client.get(reverse("opinion_new")).content.decode()
    assert f'<optgroup label="{tree["street"].name}">' in everything
    assert f'<optgroup label="{tree["other_street"].name}">' in everything
    assert f"?street={tree['street'].slug}" in everything
    narrowed = client.get(reverse("opinion_new"), {"street": tree["street"].slug})
    form = narrowed.context["form"]
    offered = set(form.fields["station"].queryset.values_list("pk", flat=True))
    assert tree["station"].pk in offered and tree["other_station"].pk not in offered
    assert tree["other_station"].title not in narrowed.content.decode()


def test_a_station_s_own_form_does_not_list_every_station(tree, django_assert_num_queries):
    """The form on a station's page never loads the district's stations (thousands of them)."""
    from workflows.public_views import OpinionForm

    data = form_data()
    with django_assert_num_queries(0):
        blank = OpinionForm(station=tree["station"])
        filled = OpinionForm(data, station=tree["station"])
    assert "station" not in blank.fields and "station" not in filled.fields


def test_the_station_form_page_costs_the_same_with_more_stations(client, tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from content.models import ContactPointPage

    def queries():
        with CaptureQueriesContext(connection) as captured:
            page = client.get(station_form_url(tree["station"]))
        assert page.status_code == 200 and "网格点" not in page.content.decode()
        return len(captured)

    queries()  # Wagtail caches the site's root paths on the first request
    before = queries()
    for n in range(30):
        tree["station"].add_child(instance=ContactPointPage(title=f"网格点{n}", slug=f"grid-{n}"))
    assert queries() == before


def test_a_double_submit_creates_one_opinion_and_shows_the_same_receipt(client, tree):
    first = client.post(station_form_url(tree["station"]), form_data(key="same"))
    second = client.post(station_form_url(tree["station"]), form_data(key="same"))
    assert Opinion.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_too_many_submissions_from_one_address_get_a_429(client, tree, settings):
    settings.LIANLUO_OPINION_RATE_IP = "2/h"
    for n in range(2):
        assert (
            client.post(
                station_form_url(tree["station"]), form_data(key=str(n), citizen_phone=f"1391234567{n}")
            ).status_code
            == 302
        )
    limited = client.post(station_form_url(tree["station"]), form_data(key="9", citizen_phone="13912345679"))
    assert limited.status_code == 429 and "提交过于频繁" in limited.content.decode()
    assert Opinion.objects.count() == 2
    # A resubmission of an already stored form is not counted and still gets its receipt.
    assert client.post(station_form_url(tree["station"]), form_data(key="0")).status_code == 302


def test_too_many_submissions_for_one_phone_get_a_429(client, tree, settings):
    settings.LIANLUO_OPINION_RATE_PHONE = "1/d"
    assert client.post(station_form_url(tree["station"]), form_data(key="a")).status_code == 302
    other_address = client.post(station_form_url(tree["station"]), form_data(key="b"), REMOTE_ADDR="10.9.9.9")
    assert other_address.status_code == 429 and "提交过于频繁" in other_address.content.decode()
    assert Opinion.objects.count() == 1


def test_refused_attempts_do_not_use_up_a_phone_number(client, tree, settings):
    """Fixing a bad photo costs nothing, and nobody can lock someone else's number."""
    settings.LIANLUO_OPINION_RATE_PHONE = "5/d"
    bad_photo = SimpleUploadedFile("photo.jpg", b"not really a photo", content_type="image/jpeg")
    for n in range(5):  # from five addresses, so the per-address limit plays no part
        refused = client.post(
            station_form_url(tree["station"]),
            {**form_data(key=f"bad{n}", content="好" if n % 2 else form_data()["content"]), "photos": [bad_photo]},
            REMOTE_ADDR=f"10.0.0.{n + 1}",
        )
        assert refused.status_code == 400
    assert not Opinion.objects.exists()
    good = client.post(station_form_url(tree["station"]), form_data(key="good"))
    assert good.status_code == 302 and Opinion.objects.count() == 1


def test_a_phone_number_may_store_five_opinions_a_day(client, tree, settings):
    settings.LIANLUO_OPINION_RATE_IP = "100/h"
    settings.LIANLUO_OPINION_RATE_PHONE = "5/d"
    for n in range(5):
        assert client.post(station_form_url(tree["station"]), form_data(key=str(n))).status_code == 302
    # Pressing submit again on a stored form still shows its receipt and costs nothing.
    assert client.post(station_form_url(tree["station"]), form_data(key="0")).status_code == 302
    sixth = client.post(station_form_url(tree["station"]), form_data(key="6"), REMOTE_ADDR="10.9.9.9")
    assert sixth.status_code == 429
    assert "提交过于频繁，请稍后再试" in sixth.content.decode()
    assert Opinion.objects.count() == 5 and not Opinion.objects.filter(idempotency_key="k-6").exists()


def test_a_double_submit_that_races_the_first_costs_no_quota(client, tree, settings, monkeypatch):
    """When both clicks pass the view's check, submit() returns the first opinion: not counted."""
    from workflows import public_views

    settings.LIANLUO_OPINION_RATE_PHONE = "1/d"
    first = new_opinion(tree["station"], citizen_phone="13812345678")
    monkeypatch.setattr(public_views, "submit", lambda submission: (first, False))
    raced = client.post(station_form_url(tree["station"]), form_data(key="raced"))
    assert raced["Location"] == reverse("opinion_receipt", args=[rating_token(first)])
    monkeypatch.undo()
    stored = client.post(station_form_url(tree["station"]), form_data(key="real"))
    assert stored.status_code == 302 and Opinion.objects.filter(idempotency_key="k-real").exists()


def test_status_lookup_needs_the_receipt_and_the_last_four_digits(client, tree):
    opinion = new_opinion(tree["station"])
    found = client.post(reverse("opinion_status"), {"receipt_no": opinion.receipt_no, "phone_last4": "5678"})
    assert found.status_code == 200 and "待受理" in found.content.decode() and opinion.title in found.content.decode()
    wrong = client.post(reverse("opinion_status"), {"receipt_no": opinion.receipt_no, "phone_last4": "0000"})
    unknown = client.post(reverse("opinion_status"), {"receipt_no": "YJ000000000000", "phone_last4": "5678"})
    assert wrong.status_code == unknown.status_code == 404
    for response in (wrong, unknown):  # the same answer whether or not the receipt exists
        page = response.content.decode()
        assert "未找到，请核对回执编号和手机号后四位" in page and opinion.title not in page


def test_a_lookup_in_the_address_bar_looks_nothing_up(client, tree):
    """Receipt and phone digits in a query string (history, access logs) show only the form."""
    opinion = new_opinion(tree["station"])
    response = client.get(reverse("opinion_status"), {"receipt_no": opinion.receipt_no, "phone_last4": "5678"})
    page = response.content.decode()
    assert response.status_code == 200
    assert opinion.title not in page and "待受理" not in page and "未找到" not in page
    assert 'method="post"' in page and 'name="csrfmiddlewaretoken"' in page
    assert 'value="5678"' not in page  # the phone digits are never put back into the page


def test_the_lookup_form_works_with_csrf_checks_on(tree):
    from django.test import Client

    opinion = new_opinion(tree["station"])
    browser = Client(enforce_csrf_checks=True)
    url = reverse("opinion_status")
    forged = browser.post(url, {"receipt_no": opinion.receipt_no, "phone_last4": "5678"})
    assert forged.status_code == 403 and opinion.title not in forged.content.decode()
    browser.get(url)
    token = browser.cookies["csrftoken"].value
    found = browser.post(url, {"receipt_no": opinion.receipt_no, "phone_last4": "5678", "csrfmiddlewaretoken": token})
    assert found.status_code == 200 and opinion.title in found.content.decode()


def test_the_receipt_links_to_the_lookup_with_only_the_receipt_number_filled_in(client, tree):
    response = client.post(station_form_url(tree["station"]), form_data())
    opinion = Opinion.objects.get()
    receipt = client.get(response["Location"]).content.decode()
    link = reverse("opinion_status") + f"?receipt_no={opinion.receipt_no}"
    assert f'href="{link}"' in receipt and "phone_last4" not in receipt
    lookup_page = client.get(link).content.decode()
    assert f'value="{opinion.receipt_no}"' in lookup_page  # filled in, ready for the four digits
    assert opinion.title not in lookup_page  # but nothing is looked up yet


def test_status_lookups_are_rate_limited(client, tree, settings):
    settings.LIANLUO_OPINION_LOOKUP_RATE = "3/h"
    opinion = new_opinion(tree["station"])
    for _ in range(3):
        client.post(reverse("opinion_status"), {"receipt_no": "YJ1", "phone_last4": "1234"})
    limited = client.post(reverse("opinion_status"), {"receipt_no": opinion.receipt_no, "phone_last4": "5678"})
    assert limited.status_code == 429 and "查询过于频繁" in limited.content.decode()
    assert opinion.title not in limited.content.decode()


@pytest.fixture
def people(two_streets, street):
    department = Department.objects.create(name="区城管局")
    return {
        "staff": station_user(two_streets["station"]),
        "handler": role_user("clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department)),
        "department": department,
        "editor": role_user("editor", role_group_name(Role.EDITOR)),
        "secretary": street_user(street),
    }


def test_the_citizen_rates_the_reply_from_the_receipt_link(client, two_streets, people):
    opinion = new_opinion(two_streets["station"])
    opinion = replied(opinion, people["staff"], people["handler"], people["department"], text="已增设夜间临时泊位。")
    url = reverse("opinion_rate", args=[rating_token(opinion)])
    page = client.get(url).content.decode()
    assert "已增设夜间临时泊位。" in page and "满意" in page
    response = client.post(url, {"rating": "satisfied"})
    assert response.status_code == 200 and "感谢您的评价" in response.content.decode()
    assert Opinion.objects.get(pk=opinion.pk).state == "evaluated"
    again = client.post(url, {"rating": "unsatisfied"})
    assert again.status_code == 409 and "不能评价" in again.content.decode()


def test_an_unsatisfied_citizen_is_told_the_opinion_will_be_redone(client, two_streets, people):
    opinion = replied(new_opinion(two_streets["station"]), people["staff"], people["handler"], people["department"])
    response = client.post(reverse("opinion_rate", args=[rating_token(opinion)]), {"rating": "unsatisfied"})
    assert "重办" in response.content.decode()
    assert Opinion.objects.get(pk=opinion.pk).state == "reopened"


def test_a_forged_rating_link_is_a_404(client, tree):
    assert client.get(reverse("opinion_rate", args=["forged:token"])).status_code == 404


def test_approved_results_are_published_without_personal_data(client, two_streets, people):
    station = two_streets["station"]
    opinion = replied(
        new_opinion(station), people["staff"], people["handler"], people["department"], text="已增设车位。"
    )
    opinion = opinions.perform(
        opinion, "request_publication", user=people["staff"], summary="东平巷停车难已解决", public_reply="已增设车位。"
    )
    pending = client.get(reverse("opinion_results")).content.decode()
    assert "东平巷停车难已解决" not in pending  # not before approval
    opinions.perform(opinion, "approve_publication", user=people["editor"])
    private = replied(
        new_opinion(station, publish_consent=False, title="不公开的意见"),
        people["staff"],
        people["handler"],
        people["department"],
    )
    for url in (reverse("opinion_results"), station.url):
        page = client.get(url).content.decode()
        assert "东平巷停车难已解决" in page and "已增设车位。" in page
        assert "张三丰" not in page and "13812345678" not in page and private.title not in page
    by_street = client.get(reverse("opinion_results"), {"street": two_streets["other_street"].pk}).content.decode()
    assert "东平巷停车难已解决" not in by_street


def test_a_refused_host_gets_a_chinese_page(client, tree):
    response = client.get(tree["station"].url, HTTP_HOST="evil.example")
    page = response.content.decode()
    assert response.status_code == 400
    assert "请求有误" in page and "返回首页" in page and "Bad Request" not in page


def test_a_broken_upload_gets_a_chinese_page_and_stores_nothing(client, tree):
    response = client.generic(
        "POST",
        station_form_url(tree["station"]),
        b"--x\r\nContent-Disposition: form-data; name=title\r\n\r\ncut off",
        content_type="multipart/form-data",  # no boundary: the body cannot be read
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "请求有误" in page and "Bad Request" not in page
    assert not Opinion.objects.exists()


def test_the_receipt_link_is_the_same_whenever_it_is_made_and_old_links_still_open(tree):
    from django.core import signing

    from workflows.intake import RATING_SALT, opinion_for_rating_token

    opinion = new_opinion(tree["station"])
    first = rating_token(opinion)
    with mock.patch("time.time", return_value=time.time() + 3600):  # an hour later: the same link
        assert rating_token(opinion) == first
    assert opinion_for_rating_token(first) == opinion
    older = signing.dumps(opinion.receipt_no, salt=RATING_SALT)  # as links were made until 2026-12
    assert opinion_for_rating_token(older) == opinion
    assert opinion_for_rating_token(first[:-2] + "xx") is None
