"""Popolo JSON: deputies, the station tree, streets, memberships and posts, as another system
reads them — valid against the Popolo schemas, public data only, in a fixed number of queries."""

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from jsonschema import Draft3Validator
from PIL import Image as PILImage
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT3

from django.core.files.images import ImageFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wagtail.images import get_image_model

import api
from content.models import DEPUTY_PHOTO_SPEC, ContactPointPage, LiaisonStationPage, Membership
from content.tree import add_station
from tests.conftest import make_deputy

pytestmark = pytest.mark.django_db

SCHEMAS = Path(api.__file__).parent / "popolo_schemas"
DOCUMENT = "/api/v1/popolo/"
PRIVATE = ("0571-87001234", "13900001111", "wang@example.cn")


def _registry() -> Registry:
    """The vendored schemas under their own ids, so $refs resolve locally (no network)."""
    resources = []
    for file in SCHEMAS.glob("*.json"):
        contents = json.loads(file.read_text())
        resources.append((contents["id"].rstrip("#"), Resource.from_contents(contents, default_specification=DRAFT3)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validator(name: str) -> Draft3Validator:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    return Draft3Validator(schema, registry=REGISTRY, format_checker=Draft3Validator.FORMAT_CHECKER)


def assert_valid(name: str, instance):
    errors = list(validator(name).iter_errors(instance))
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


@pytest.fixture
def wall(tree):
    """A head with every private field filled in, a resident, a deputy who left, one out of office."""
    head = make_deputy(
        "王秀英",
        gender="female",
        constituency="湖滨选区",
        occupation="湖滨社区党委书记",
        public_phone=PRIVATE[0],
        public_email=PRIVATE[2],
        biography="长期关注老旧小区改造。",
    )
    resident = make_deputy("李建国", level="city")
    left = make_deputy("赵明", level="street")
    retired = make_deputy("钱退休", is_active=False)
    memberships = {
        "head": Membership.objects.create(
            station=tree["station"], deputy=head, role="head", duty_phone=PRIVATE[1], start_date=dt.date(2022, 1, 1)
        ),
        "resident": Membership.objects.create(station=tree["station"], deputy=resident, role="resident"),
        "centre_liaison": Membership.objects.create(station=tree["centre"], deputy=head, role="liaison"),
        "ended": Membership.objects.create(
            station=tree["point"],
            deputy=left,
            role="head",
            start_date=dt.date(2021, 3, 1),
            end_date=dt.date(2024, 6, 30),
        ),
        "retired": Membership.objects.create(station=tree["station"], deputy=retired, role="deputy_head"),
    }
    return {"wang": head, "li": resident, "zhao": left, "qian": retired, **memberships}


def by_id(items):
    return {item["id"]: item for item in items}


def test_the_whole_document_validates_against_the_popolo_schemas(client, tree, wall):
    document = client.get(DOCUMENT).json()
    assert set(document) == {"persons", "organizations", "memberships", "posts"}
    for kind, schema in (("persons", "person"), ("organizations", "organization"), ("memberships", "membership")):
        assert document[kind]
        for item in document[kind]:
            assert_valid(schema, item)
    for item in document["posts"]:
        assert_valid("post", item)

    person = client.get(reverse("api:popolo_person", args=[wall["wang"].pk])).json()
    assert_valid("person", person)  # with its memberships embedded
    station = client.get(reverse("api:popolo_station", args=[tree["station"].pk])).json()
    assert_valid("organization", station)  # with its memberships and posts embedded
    assert_valid("membership", client.get(reverse("api:popolo_membership", args=[wall["ended"].pk])).json())
    assert_valid("organization", client.get(reverse("api:popolo_street", args=[tree["station"].street_id])).json())


def test_each_list_has_its_own_address_with_the_same_objects(client, tree, wall):
    document = client.get(DOCUMENT).json()
    for kind in ("persons", "organizations", "memberships", "posts"):
        response = client.get(reverse(f"api:popolo_{kind}"))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.json() == document[kind]


def test_a_deputy_is_shown_with_the_public_pages_facts_and_never_a_phone_or_email(client, tree, wall):
    person = by_id(client.get(DOCUMENT).json()["persons"])[f"person/{wall['wang'].pk}"]
    assert person["name"] == "王秀英"
    assert person["gender"] == "female"
    assert person["summary"] == "区人大代表 · 第十八届"
    assert person["constituency"] == "湖滨选区"
    assert person["occupation"] == "湖滨社区党委书记"
    assert person["links"][0] == {"url": f"http://testserver/deputies/{wall['wang'].pk}/", "note": "代表主页"}
    assert "email" not in person and "contact_details" not in person

    for url in (
        DOCUMENT,
        reverse("api:popolo_person", args=[wall["wang"].pk]),
        reverse("api:popolo_station", args=[tree["station"].pk]),
        reverse("api:popolo_membership", args=[wall["head"].pk]),
        reverse("api:popolo_memberships"),
    ):
        body = client.get(url).content.decode()
        for private in PRIVATE:
            assert private not in body, (url, private)


def test_a_deputys_image_is_the_photo_the_public_page_shows(client, tree):
    buffer = io.BytesIO()
    PILImage.new("RGB", (300, 400), (188, 160, 150)).save(buffer, format="PNG")
    photo = get_image_model().objects.create(title="王秀英", file=ImageFile(buffer, name="wang.png"))
    deputy = make_deputy(photo=photo)
    # Asked before anybody opened the deputy's page: the rendition is made then, once.
    person = client.get(reverse("api:popolo_person", args=[deputy.pk])).json()
    expected = "http://testserver" + photo.get_rendition(DEPUTY_PHOTO_SPEC).url
    assert person["image"] == expected
    assert by_id(client.get(reverse("api:popolo_persons")).json())[f"person/{deputy.pk}"]["image"] == expected
    assert photo.renditions.filter(filter_spec=DEPUTY_PHOTO_SPEC).count() == 1


def test_a_station_with_a_chinese_address_links_to_the_same_url_as_the_site(client, tree):
    point = add_station(tree["station"], ContactPointPage(title="东平巷二号网格联络点", slug="东平巷二号"))
    organizations = by_id(client.get(reverse("api:popolo_organizations")).json())
    assert organizations[f"station/{point.pk}"]["links"][0]["url"] == "http://testserver" + point.get_url()
    assert client.get(point.get_url()).status_code == 200


def test_a_deputy_out_of_office_is_not_published(client, tree, wall):
    document = client.get(DOCUMENT).json()
    retired = f"person/{wall['qian'].pk}"
    assert retired not in by_id(document["persons"])
    assert all(m["person_id"] != retired for m in document["memberships"])
    response = client.get(reverse("api:popolo_person", args=[wall["qian"].pk]))
    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": "没有找到这位代表", "detail": None}


def test_the_stations_form_the_tree_and_name_their_street(client, tree, wall):
    organizations = by_id(client.get(reverse("api:popolo_organizations")).json())
    general, centre, station, point = (
        organizations[f"station/{tree[level].pk}"] for level in ("general", "centre", "station", "point")
    )
    assert (general["classification"], general["parent_id"]) == ("联络总站", None)
    assert (centre["classification"], centre["parent_id"]) == ("中心站", general["id"])
    assert (station["classification"], station["parent_id"]) == ("联络站", centre["id"])
    assert (point["classification"], point["parent_id"]) == ("联络点", station["id"])

    street = organizations[f"street/{tree['centre'].street_id}"]
    assert (street["name"], street["classification"]) == ("湖滨街道", "街道")
    assert {centre["street_id"], station["street_id"], point["street_id"]} == {street["id"]}
    assert {"type": "address", "label": "地址", "value": "东平巷12号"} in station["contact_details"]
    assert station["links"][0]["url"] == "http://testserver" + tree["station"].url


def test_a_deputy_who_left_keeps_an_ended_membership(client, tree, wall):
    memberships = by_id(client.get(reverse("api:popolo_memberships")).json())
    ended = memberships[f"membership/{wall['ended'].pk}"]
    assert ended["person_id"] == f"person/{wall['zhao'].pk}"
    assert ended["organization_id"] == f"station/{tree['point'].pk}"
    assert (ended["role"], ended["start_date"], ended["end_date"]) == ("站长", "2021-03-01", "2024-06-30")
    current = memberships[f"membership/{wall['head'].pk}"]
    assert (current["role"], current["start_date"], current["end_date"]) == ("站长", "2022-01-01", None)

    person = client.get(reverse("api:popolo_person", args=[wall["zhao"].pk])).json()
    assert [m["end_date"] for m in person["memberships"]] == ["2024-06-30"]


def test_leading_roles_are_posts_and_residents_are_members_only(client, tree, wall):
    document = client.get(DOCUMENT).json()
    posts = by_id(document["posts"])
    head_post = f"post/{tree['station'].pk}/head"
    assert posts[head_post] == {
        "id": head_post,
        "label": "东平巷代表联络站站长",
        "role": "站长",
        "organization_id": f"station/{tree['station'].pk}",
        "role_code": "head",
    }
    # A post exists whoever held it: the deputy head out of office leaves the post, not the person.
    assert f"post/{tree['station'].pk}/deputy_head" in posts
    assert f"post/{tree['centre'].pk}/liaison" in posts
    memberships = by_id(document["memberships"])
    assert memberships[f"membership/{wall['head'].pk}"]["post_id"] == head_post
    assert memberships[f"membership/{wall['resident'].pk}"]["post_id"] is None
    assert memberships[f"membership/{wall['resident'].pk}"]["role"] == "进站代表"


def test_unpublished_stations_and_their_memberships_are_absent(client, tree, wall):
    draft = add_station(tree["centre"], LiaisonStationPage(title="筹建中的联络站", slug="draft-station"), publish=False)
    Membership.objects.create(station=draft, deputy=wall["li"], role="head")
    tree["point"].unpublish()

    document = client.get(DOCUMENT).json()
    organizations = by_id(document["organizations"])
    assert f"station/{draft.pk}" not in organizations
    assert f"station/{tree['point'].pk}" not in organizations
    assert all(m["organization_id"] in organizations for m in document["memberships"])
    assert all(p["organization_id"] in organizations for p in document["posts"])
    assert f"post/{draft.pk}/head" not in by_id(document["posts"])
    assert client.get(reverse("api:popolo_station", args=[draft.pk])).status_code == 404
    assert client.get(reverse("api:popolo_membership", args=[wall["ended"].pk])).status_code == 404


def test_a_live_station_under_an_unpublished_one_hangs_from_the_next_public_station(client, tree):
    tree["station"].unpublish()  # its contact point stays live
    organizations = by_id(client.get(reverse("api:popolo_organizations")).json())
    assert f"station/{tree['station'].pk}" not in organizations
    assert organizations[f"station/{tree['point'].pk}"]["parent_id"] == f"station/{tree['centre'].pk}"
    detail = client.get(reverse("api:popolo_station", args=[tree["point"].pk])).json()
    assert detail["parent_id"] == f"station/{tree['centre'].pk}"


def test_the_old_address_points_to_the_current_version_for_good(client, db):
    response = client.get("/api/popolo/")
    assert response.status_code == 301
    assert response["Location"] == DOCUMENT


def _district_of(tree, count: int, offset: int):
    for i in range(count):
        deputy = make_deputy(f"代表{offset + i}", constituency=f"第{i}选区")
        station = tree["station"] if i % 2 else tree["point"]
        Membership.objects.create(station=station, deputy=deputy, role=("head", "liaison", "resident")[i % 3])
        if i % 5 == 0:
            Membership.objects.create(
                station=tree["centre"], deputy=deputy, start_date=dt.date(2020, 1, 1), end_date=dt.date(2023, 1, 1)
            )
    if offset:
        for i in range(count // 3):
            add_station(tree["centre"], LiaisonStationPage(title=f"新建联络站{offset + i}", slug=f"new-{offset + i}"))


def _queries(client, url) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.json()


@pytest.mark.parametrize(
    "url", [DOCUMENT, "/api/v1/popolo/persons/", "/api/v1/popolo/organizations/", "/api/v1/popolo/memberships/"]
)
def test_the_number_of_queries_does_not_grow_with_the_district(client, tree, url):
    client.get(url)  # the site's root paths are cached after the first request
    _district_of(tree, 3, 0)
    few, small = _queries(client, url)
    _district_of(tree, 27, 100)
    many, large = _queries(client, url)
    assert len(json.dumps(large)) > len(json.dumps(small))
    assert many == few
