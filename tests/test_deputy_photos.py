"""Deputies' photos: the demo's neutral avatars and a photo uploaded in the admin show on the
station wall, the deputy list, the deputy's page and the printable card, at the size the
page asks for (Wagtail renditions), for a fixed number of queries however many there are."""

import datetime as dt
import io
import re
from io import StringIO

import pytest
from PIL import Image as PILImage

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wagtail.images import get_image_model
from wagtail.models import Collection

from base.roles import Role, role_group_name
from content.demo.portraits import COLLECTION_NAME, VARIANTS
from content.models import Deputy, Membership, StationLevel, StationPage
from tests.conftest import make_deputy, role_user

pytestmark = pytest.mark.django_db

RENDITION = r"/media/images/{stem}[^\"]*\.fill-240x300[^\"]*\.png"


def png(name, size=(800, 1000), colour="#557799") -> ContentFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name)


def photo_tags(html: str) -> list[str]:
    return re.findall(r'<img[^>]*class="(?:deputy-photo|card-photo)"[^>]*>', html)


def assert_rendition(tag: str, stem: str):
    assert re.search(r'src="' + RENDITION.format(stem=re.escape(stem)) + '"', tag), tag
    assert 'width="240"' in tag and 'height="300"' in tag, tag


def build_demo(*args):
    call_command(
        "build_demo",
        "--today",
        "2026-03-02",
        "--scale",
        "12",
        "--opinions",
        "0",
        "--skip-index",
        *args,
        stdout=StringIO(),
    )


def test_demo_deputies_wear_a_dozen_shared_neutral_avatars_shown_through_renditions(client):
    build_demo()
    Image = get_image_model()
    portraits = Image.objects.filter(collection__name=COLLECTION_NAME)
    assert portraits.count() == VARIANTS == 12
    assert not Deputy.objects.filter(photo=None).exists()
    assert set(Deputy.objects.values_list("photo_id", flat=True)) == set(portraits.values_list("pk", flat=True))
    for image in portraits:
        assert (image.width, image.height) == (480, 600) and image.file_size and image.file_hash
        assert image.renditions.filter(filter_spec="fill-240x300").exists()  # made at build time

    station = StationPage.objects.filter(level=StationLevel.STATION).order_by("path").first()
    html = client.get(station.url).content.decode()
    wall = photo_tags(html)
    assert len(wall) == Membership.objects.current().filter(station=station).count() > 1
    for tag in wall:
        assert_rendition(tag, "demo-portrait-")
        assert 'loading="lazy"' in tag
    assert "deputy-photo-placeholder" not in html
    # Neighbours on the wall do not all look alike.
    assert len({re.search(r'src="([^"]+)"', tag).group(1) for tag in wall}) > 1

    deputy = Deputy.objects.order_by("pk").first()
    (detail,) = photo_tags(client.get(reverse("deputy_detail", args=[deputy.pk])).content.decode())
    assert_rendition(detail, "demo-portrait-") and f'alt="{deputy.name}"' in detail
    for tag in photo_tags(client.get(reverse("deputy_list")).content.decode()):
        assert_rendition(tag, "demo-portrait-")

    # The demo names its organiser and marks its filing numbers as examples.
    home = client.get("/").content.decode()
    assert "<title>" in home and "· 上城区人大代表联络站</title>" in home
    assert "主办单位：上城区人大常委会" in home and "浙ICP备00000000号（示例）" in home

    # Building again reuses the avatars instead of adding a dozen more each time.
    build_demo("--reset", "--force")
    assert Image.objects.filter(collection__name=COLLECTION_NAME).count() == 12
    assert Collection.objects.filter(name=COLLECTION_NAME).count() == 1
    assert not Deputy.objects.filter(photo=None).exists()


def test_a_photo_uploaded_in_the_admin_shows_everywhere_at_the_right_size(client, tree, two_streets):
    station = tree["station"]
    deputy = make_deputy("李建国", public_phone="0571-87001234")
    Membership.objects.create(station=station, deputy=deputy, role="head", duty_phone="0571-87005678")

    # Before: the neutral letter avatar, no image.
    html = client.get(station.url).content.decode()
    assert '<span class="deputy-photo deputy-photo-placeholder" aria-hidden="true">李</span>' in html
    assert not photo_tags(html)

    # The district admin uploads a photo to the image library and picks it for the deputy.
    admin = role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN))
    client.force_login(admin)
    upload = png("lijianguo.png")
    response = client.post(
        reverse("wagtailimages:add"),
        {
            "title": "李建国代表",
            "file": SimpleUploadedFile("lijianguo.png", upload.read(), "image/png"),
            "collection": Collection.get_first_root_node().pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    image = get_image_model().objects.get(title="李建国代表")
    response = client.post(
        reverse("wagtailsnippets_content_deputy:edit", args=[deputy.pk]),
        {
            "name": deputy.name,
            "gender": "male",
            "photo": image.pk,
            "congress_level": deputy.congress_level,
            "term": deputy.term,
            "constituency": "",
            "occupation": "",
            "public_phone": deputy.public_phone,
            "public_email": "",
            "biography": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    deputy.refresh_from_db()
    assert deputy.photo_id == image.pk
    client.logout()

    for url in (station.url, reverse("deputy_list"), reverse("deputy_detail", args=[deputy.pk])):
        html = client.get(url).content.decode()
        (tag,) = photo_tags(html)
        assert_rendition(tag, "lijianguo")
        assert "deputy-photo-placeholder" not in html, url
    card = client.get(reverse("deputy_card", args=[deputy.pk])).content.decode()
    (tag,) = photo_tags(card)
    assert_rendition(tag, "lijianguo") and 'alt="李建国"' in tag
    # The page serves the 240×300 rendition, not the 800×1000 original.
    src = re.search(r'src="/media/([^"]+)"', tag).group(1)
    rendition = image.renditions.get(filter_spec="fill-240x300")
    assert rendition.file.name == src and (rendition.width, rendition.height) == (240, 300)


def count_queries(client, url) -> int:
    client.get(url)  # the first visit makes the renditions; count the steady state
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def add_deputies(station, n, prefix):
    Image = get_image_model()
    for i in range(n):
        photo = Image.objects.create(title=f"{prefix}{i}", file=png(f"{prefix.lower()}{i}.png", (120, 150)))
        deputy = make_deputy(f"{prefix}代表{i}", photo=photo)
        Membership.objects.create(station=station, deputy=deputy, sort_order=i)


def test_queries_do_not_grow_with_the_number_of_deputies_with_photos(client, tree, fixed_today):
    fixed_today(dt.date(2026, 3, 2))
    station = tree["station"]
    add_deputies(station, 2, "A")
    few = {url: count_queries(client, url) for url in (station.url, reverse("deputy_list"))}
    add_deputies(station, 12, "B")
    many = {url: count_queries(client, url) for url in (station.url, reverse("deputy_list"))}
    assert few == many
    html = client.get(station.url).content.decode()
    assert len(photo_tags(html)) == 14
