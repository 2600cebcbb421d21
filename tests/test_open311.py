"""Open311 GeoReport v2 at /open311/v2/: what another system (a 12345 hotline, a city
platform) reads and sends, in JSON and XML; the API keys issued and revoked by the district
admin; bad input answered with Open311's error list and nothing stored."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from api.models import ApiKey, Open311Action
from base.models import AuditEvent
from base.roles import Role, role_group_name
from tests.conftest import new_opinion, role_user, station_user, street_user
from workflows.models import Category, Channel, Opinion, OpinionState, Publication

pytestmark = pytest.mark.django_db

ROOT = "/open311/v2"
NAME, PHONE = "张三丰", "13812345678"


def issue_key(client_name="区12345热线平台") -> tuple[ApiKey, str]:
    key = ApiKey(client_name=client_name)
    raw = key.set_new_key()
    key.save()
    return key, raw


def traffic() -> Category:
    return Category.objects.get(name="交通出行")


def post_fields(station, raw_key, **extra) -> dict:
    return {
        "jurisdiction_id": "lianluo",
        "api_key": raw_key,
        "service_code": str(traffic().pk),
        "attribute[station]": str(station.pk),
        "description": "东平巷口夜间路灯不亮，老人出行不便，希望尽快修复。",
        "last_name": "张",
        "first_name": "三丰",
        "phone": PHONE,
        **extra,
    }


def errors(response) -> list[dict]:
    """The Open311 error list of a JSON or XML answer."""
    if response["Content-Type"].startswith("application/xml"):
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        return [{"code": int(e.findtext("code")), "description": e.findtext("description")} for e in root]
    return json.loads(response.content)


def assert_error(response, status):
    assert response.status_code == status, response.content.decode()
    listed = errors(response)
    assert len(listed) == 1 and listed[0]["code"] == status
    assert any("\u4e00" <= ch <= "\u9fff" for ch in listed[0]["description"]), listed


# --- Reading -----------------------------------------------------------------------------------


def test_services_in_json_and_in_open311s_xml_layout(client, two_streets):
    listed = client.get(f"{ROOT}/services.json").json()
    names = {service["service_name"]: service for service in listed}
    assert names["交通出行"]["service_code"] == str(traffic().pk) and names["交通出行"]["metadata"] is True
    root = ET.fromstring(client.get(f"{ROOT}/services.xml").content)
    assert root.tag == "services" and {child.tag for child in root} == {"service"}
    assert "交通出行" in [service.findtext("service_name") for service in root]


def test_a_service_definition_asks_for_the_station(client, two_streets):
    definition = client.get(f"{ROOT}/services/{traffic().pk}.json").json()
    station_attribute = next(a for a in definition["attributes"] if a["code"] == "station")
    assert station_attribute["required"] is True
    keys = {value["key"]: value["name"] for value in station_attribute["values"]}
    assert keys[str(two_streets["station"].pk)] == "湖滨街道 · 东平巷代表联络站"
    assert str(two_streets["general"].pk) not in keys  # the district's general station takes no opinions
    root = ET.fromstring(client.get(f"{ROOT}/services/{traffic().pk}.xml").content)
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key") is not None


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_codes_jurisdictions_and_receipts_are_open311_404s(client, two_streets, fmt):
    for url in (
        f"{ROOT}/services/999999.{fmt}",
        f"{ROOT}/services/abc.{fmt}",
        f"{ROOT}/services.{fmt}?jurisdiction_id=elsewhere.gov.cn",
        f"{ROOT}/requests.{fmt}?service_code=999999",
        f"{ROOT}/requests/YJ000000000000.{fmt}",
    ):
        assert_error(client.get(url), 404)


def test_requests_show_state_department_deadline_and_station_but_nothing_personal(client, two_streets):
    station = two_streets["station"]
    opinion = new_opinion(station, title="李四家门口路灯坏了", content="我是李四，住东平巷12号，路灯坏了很久。")
    listed = client.get(f"{ROOT}/requests.json").json()
    (row,) = [r for r in listed if r["service_request_id"] == opinion.receipt_no]
    assert row["status"] == "open" and row["status_notes"] == "待受理"
    assert row["service_name"] == "交通出行" and row["address"] == "东平巷代表联络站"
    assert "description" not in row  # nothing is published yet
    for response in (client.get(f"{ROOT}/requests.json"), client.get(f"{ROOT}/requests.xml")):
        body = response.content.decode()
        for personal in (NAME, PHONE, "5678", "李四", "东平巷12号", "路灯坏了"):
            assert personal not in body, personal


def test_the_public_summary_is_shown_once_the_result_is_published(client, two_streets):
    opinion = new_opinion(two_streets["station"])
    Opinion.objects.filter(pk=opinion.pk).update(
        publication=Publication.PENDING, public_summary="东平巷增设夜间临时车位"
    )
    row = client.get(f"{ROOT}/requests/{opinion.receipt_no}.json").json()[0]
    assert "description" not in row  # waiting for approval is not published
    Opinion.objects.filter(pk=opinion.pk).update(publication=Publication.APPROVED)
    row = client.get(f"{ROOT}/requests/{opinion.receipt_no}.json").json()[0]
    assert row["description"] == "东平巷增设夜间临时车位"


def test_states_map_to_open_and_closed_with_the_chinese_state_in_the_notes(client, two_streets):
    station = two_streets["station"]
    waiting = new_opinion(station)
    closed = new_opinion(station, citizen_phone="13900001111")
    deadline = dt.date(2026, 12, 31)
    Opinion.objects.filter(pk=closed.pk).update(state=OpinionState.CLOSED, outcome="resolved", deadline=deadline)
    rejected = new_opinion(station, citizen_phone="13900002222")
    Opinion.objects.filter(pk=rejected.pk).update(state=OpinionState.REJECTED)
    by_id = {r["service_request_id"]: r for r in client.get(f"{ROOT}/requests.json").json()}
    assert by_id[waiting.receipt_no]["status"] == "open"
    assert by_id[closed.receipt_no]["status"] == "closed"
    assert by_id[closed.receipt_no]["status_notes"] == "已办结（已解决）"
    assert by_id[closed.receipt_no]["expected_datetime"].startswith("2026-12-31T23:59:59")
    assert by_id[rejected.receipt_no]["status"] == "closed" and by_id[rejected.receipt_no]["status_notes"] == "不予受理"
    open_ids = {r["service_request_id"] for r in client.get(f"{ROOT}/requests.json?status=open").json()}
    closed_ids = {r["service_request_id"] for r in client.get(f"{ROOT}/requests.json?status=closed").json()}
    assert open_ids == {waiting.receipt_no} and closed_ids == {closed.receipt_no, rejected.receipt_no}
    both = client.get(f"{ROOT}/requests.json?status=open,closed").json()
    assert len(both) == 3


def test_filters_by_service_code_date_range_and_receipt_numbers(client, two_streets):
    station = two_streets["station"]
    traffic_opinion = new_opinion(station)
    other_category = Category.objects.exclude(pk=traffic().pk).first()
    other = new_opinion(station, category=other_category, citizen_phone="13900001111")
    old = new_opinion(station, citizen_phone="13900002222")
    Opinion.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=200))

    def ids(query):
        response = client.get(f"{ROOT}/requests.json?{query}")
        assert response.status_code == 200, response.content
        return {r["service_request_id"] for r in response.json()}

    assert ids("") == {traffic_opinion.receipt_no, other.receipt_no}  # the last 90 days by default
    assert ids(f"service_code={traffic().pk}") == {traffic_opinion.receipt_no}
    assert ids(f"service_code={traffic().pk},{other_category.pk}") == {traffic_opinion.receipt_no, other.receipt_no}
    start = (timezone.now() - dt.timedelta(days=220)).date().isoformat()
    end = (timezone.now() - dt.timedelta(days=180)).date().isoformat()
    assert ids(f"start_date={start}T00:00:00Z&end_date={end}T00:00:00Z") == {old.receipt_no}
    # A list of receipt numbers overrides every other filter, the old one included.
    assert ids(f"service_request_id={old.receipt_no},{other.receipt_no}&service_code={traffic().pk}") == {
        old.receipt_no,
        other.receipt_no,
    }
    assert ids("jurisdiction_id=lianluo") == ids("")


@pytest.mark.parametrize(
    "query",
    [
        "status=pending",
        "start_date=yesterday",
        "end_date=2026-13-45T00:00:00Z",
        "start_date=2026-01-01T00:00:00Z&end_date=2026-06-30T00:00:00Z",  # more than 90 days
        "start_date=2026-06-01T00:00:00Z&end_date=2026-05-01T00:00:00Z",  # the end before the start
    ],
)
def test_bad_filters_are_400s(client, two_streets, query):
    for fmt in ("json", "xml"):
        assert_error(client.get(f"{ROOT}/requests.{fmt}?{query}"), 400)


def test_the_query_count_of_a_listing_does_not_grow_with_the_data(client, two_streets):
    station, other_station = two_streets["station"], two_streets["other_station"]

    def add(count):
        for index in range(count):
            opinion = new_opinion(
                station if index % 2 else other_station, citizen_phone=f"139{Opinion.objects.count():08d}"
            )
            if index % 3 == 0:
                Opinion.objects.filter(pk=opinion.pk).update(
                    publication=Publication.APPROVED, public_summary="已公开的摘要"
                )

    def queries():
        with CaptureQueriesContext(connection) as context:
            response = client.get(f"{ROOT}/requests.json?status=open,closed&service_code={traffic().pk}")
        assert response.status_code == 200
        return len(context.captured_queries), len(response.json())

    add(5)
    few, listed_few = queries()
    add(45)
    many, listed_many = queries()
    assert (listed_few, listed_many) == (5, 50)
    assert few == many


# --- Sending -------------------------------------------------------------------------------------


def test_a_key_holder_sends_an_opinion_and_gets_open311s_receipt(client, two_streets):
    key, raw = issue_key()
    station = two_streets["station"]
    response = client.post(f"{ROOT}/requests.json", post_fields(station, raw, **{"attribute[publish_consent]": "true"}))
    assert response.status_code == 201, response.content.decode()
    (answer,) = response.json()
    opinion = Opinion.objects.get(receipt_no=answer["service_request_id"])
    assert "回执编号" in answer["service_notice"] and opinion.receipt_no in answer["service_notice"]
    assert opinion.channel == Channel.OPEN_API and opinion.get_channel_display() == "开放接口"
    assert opinion.station_id == station.pk and opinion.category == traffic()
    assert opinion.citizen_name == NAME and opinion.citizen_phone == PHONE and opinion.publish_consent
    assert opinion.title.startswith("东平巷口夜间路灯不亮")
    used = AuditEvent.objects.get(action=Open311Action.KEY_USED)
    assert used.object_id == str(key.pk) and used.detail["receipt_no"] == opinion.receipt_no
    assert used.detail["outcome"] == "created"
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert raw not in json.dumps(used.detail) and raw not in used.object_repr
    # Read back: the state as the public reads it.
    row = client.get(f"{ROOT}/requests/{opinion.receipt_no}.json").json()[0]
    assert row["status"] == "open" and row["status_notes"] == "待受理"


def test_a_retry_gives_back_the_first_receipt_and_stores_one_opinion(client, two_streets):
    key, raw = issue_key()
    fields = post_fields(two_streets["station"], raw, idempotency_key="hotline-20261205-0001")
    first = client.post(f"{ROOT}/requests.json", fields)
    again = client.post(f"{ROOT}/requests.json", fields)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    # Without a key of the client's own: the same text for the same phone the same day is a retry.
    fields.pop("idempotency_key")
    third = client.post(f"{ROOT}/requests.json", fields)
    fourth = client.post(f"{ROOT}/requests.json", fields)
    assert third.json()[0]["service_request_id"] == fourth.json()[0]["service_request_id"]
    assert Opinion.objects.count() == 2
    assert AuditEvent.objects.filter(action=Open311Action.KEY_USED, object_id=str(key.pk)).count() == 4


def test_json_and_xml_bodies_are_taken_too(client, two_streets):
    _key, raw = issue_key()
    station = two_streets["station"]
    fields = post_fields(station, raw)
    body = {k: v for k, v in fields.items() if not k.startswith("attribute")}
    body["attribute"] = {"station": str(station.pk), "title": "路灯不亮"}
    response = client.post(f"{ROOT}/requests.json", body, content_type="application/json")
    assert response.status_code == 201, response.content.decode()
    xml_body = (
        "<service_request>"
        + "".join(f"<{k}>{v}</{k}>" for k, v in body.items() if k != "attribute")
        + f"<phone>13900001111</phone><attribute><station>{station.pk}</station></attribute>"
        + "</service_request>"
    ).replace(f"<phone>{PHONE}</phone>", "")
    response = client.post(f"{ROOT}/requests.xml", xml_body, content_type="application/xml")
    assert response.status_code == 201, response.content.decode()
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text.startswith("YJ")
    assert Opinion.objects.filter(channel=Channel.OPEN_API).count() == 2
    assert Opinion.objects.get(receipt_no=root.find("request/service_request_id").text).citizen_phone == "13900001111"


def bad_requests(station, raw, revoked_raw):
    good = post_fields(station, raw)
    without = {name: {k: v for k, v in good.items() if k != name} for name in good}
    form = "application/x-www-form-urlencoded"
    return [
        ("missing jurisdiction", without["jurisdiction_id"], None, 400),
        ("wrong jurisdiction", {**good, "jurisdiction_id": "elsewhere.gov.cn"}, None, 404),
        ("missing key", without["api_key"], None, 401),
        ("invalid key", {**good, "api_key": "ll311_not-a-key"}, None, 401),
        ("revoked key", {**good, "api_key": revoked_raw}, None, 403),
        ("missing service code", without["service_code"], None, 400),
        ("unknown service code", {**good, "service_code": "999999"}, None, 404),
        ("service code not a number", {**good, "service_code": "路灯"}, None, 404),
        ("missing station", without["attribute[station]"], None, 400),
        ("unknown station", {**good, "attribute[station]": "999999"}, None, 400),
        ("the general station", {**good, "attribute[station]": "general"}, None, 400),
        ("bad phone", {**good, "phone": "12345"}, None, 400),
        ("missing name", {**without["last_name"], "first_name": ""}, None, 400),
        ("too short", {**good, "description": "路灯"}, None, 400),
        ("too long", {**good, "description": "路" * 2001}, None, 400),
        ("malformed JSON", '{"jurisdiction_id": "lianluo", ', "application/json", 400),
        ("JSON that is not an object", json.dumps([good]), "application/json", 400),
        ("malformed XML", "<service_request><api_key>", "application/xml", 400),
        ("XML entity bomb", '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "application/xml", 400),
        ("malformed multipart", "--nope\r\n", "multipart/form-data; boundary=", 400),
        ("unknown content type", "jurisdiction_id=lianluo", "text/csv", 400),
        ("form with the key twice, second empty", "api_key=&jurisdiction_id=lianluo", form, 401),
    ]


def test_bad_input_is_an_open311_error_with_the_right_status_and_nothing_is_stored(client, two_streets):
    station = two_streets["station"]
    _key, raw = issue_key()
    revoked, revoked_raw = issue_key("旧系统")
    revoked.revoke(None)
    station_field = {"attribute[station]": str(two_streets["general"].pk)}
    before = Opinion.objects.count()
    failures = []
    for label, body, content_type, status in bad_requests(station, raw, revoked_raw):
        if label == "the general station":
            body = {**body, **station_field}
        for fmt in ("json", "xml"):
            url = f"{ROOT}/requests.{fmt}"
            if content_type is None:
                response = client.post(url, body)
            else:
                response = client.post(url, body, content_type=content_type)
            try:
                assert_error(response, status)
            except AssertionError as error:
                failures.append((label, fmt, response.status_code, str(error)[:200]))
    assert not failures, "\n".join(map(str, failures))
    assert Opinion.objects.count() == before


def test_a_revoked_key_is_refused_and_the_refusal_is_audited(client, two_streets):
    key, raw = issue_key()
    assert client.post(f"{ROOT}/requests.json", post_fields(two_streets["station"], raw)).status_code == 201
    key.revoke(None)
    response = client.post(
        f"{ROOT}/requests.json", post_fields(two_streets["station"], raw, description="另一条意见：公园厕所没有灯。")
    )
    assert_error(response, 403)
    assert "吊销" in response.json()[0]["description"]
    refused = AuditEvent.objects.get(action=Open311Action.KEY_REFUSED)
    assert refused.object_id == str(key.pk) and refused.detail["reason"] == "密钥已吊销"
    assert Opinion.objects.count() == 1


def test_a_flood_from_one_key_is_429_and_other_keys_go_on(client, two_streets, settings):
    settings.LIANLUO_OPEN311_KEY_RATE = "3/h"
    _key, raw = issue_key()
    _other, other_raw = issue_key("市智慧人大")
    station = two_streets["station"]
    statuses = [
        client.post(
            f"{ROOT}/requests.json",
            post_fields(station, raw, phone=f"1390000{index:04d}", description=f"第{index}条：夜间施工噪音扰民。"),
        ).status_code
        for index in range(5)
    ]
    assert statuses == [201, 201, 201, 429, 429]
    limited = client.post(f"{ROOT}/requests.xml", post_fields(station, raw, phone="13700000000"))
    assert_error(limited, 429)
    assert client.post(f"{ROOT}/requests.json", post_fields(station, other_raw)).status_code == 201
    assert Opinion.objects.count() == 4


def test_a_phone_number_has_one_quota_whichever_way_its_opinions_arrive(client, two_streets, settings):
    settings.LIANLUO_OPINION_RATE_PHONE = "1/d"
    station = two_streets["station"]
    form = {
        "station": str(station.pk),
        "category": str(traffic().pk),
        "title": "公园厕所没有灯",
        "content": "公园厕所晚上没有灯，很不方便。",
        "citizen_name": NAME,
        "citizen_phone": PHONE,
        "idempotency_key": "public-form-1",
    }
    assert client.post(reverse("opinion_new"), form).status_code == 302  # the public form's receipt
    _key, raw = issue_key()
    assert_error(client.post(f"{ROOT}/requests.json", post_fields(station, raw)), 429)
    assert Opinion.objects.count() == 1


# --- The key admin --------------------------------------------------------------------------------


def district_admin():
    return role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN))


def test_the_district_admin_issues_a_key_shown_once_and_revokes_it(client, two_streets):
    admin = district_admin()
    client.force_login(admin)
    assert client.get(reverse("open311_keys:index")).status_code == 200
    response = client.post(reverse("open311_keys:add"), {"client_name": "区12345热线平台", "note": "王工 8888"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    page = response.content.decode()
    key = ApiKey.objects.get()
    raw = page.split('id="api-key"', 1)[1].split(">", 1)[1].split("<", 1)[0].strip()
    assert raw.startswith(key.prefix) and "只显示这一次" in page
    assert raw not in (key.key_hash, key.prefix) and key.created_by == admin
    issued = AuditEvent.objects.get(action=Open311Action.KEY_ISSUED)
    assert issued.actor == admin and raw not in json.dumps(issued.detail)
    # The key works, and is never shown again.
    assert client.post(f"{ROOT}/requests.json", post_fields(two_streets["station"], raw)).status_code == 201
    for url in (reverse("open311_keys:index"), reverse("open311_keys:edit", args=[key.pk])):
        assert raw not in client.get(url).content.decode()
    # Revoking.
    revoke = reverse("open311_keys:revoke", args=[key.pk])
    assert "确认吊销" in client.get(revoke).content.decode()
    assert client.post(revoke).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == admin
    assert AuditEvent.objects.get(action=Open311Action.KEY_REVOKED).actor == admin
    assert "已吊销" in client.get(reverse("open311_keys:index")).content.decode()
    client.logout()
    refused = client.post(
        f"{ROOT}/requests.json", post_fields(two_streets["station"], raw, description="再提一条：公交站牌缺失。")
    )
    assert_error(refused, 403)


def test_nobody_below_the_district_admin_reaches_the_key_admin(client, two_streets, street):
    key, _raw = issue_key()
    people = {
        "street": street_user(street),
        "station": station_user(two_streets["station"]),
        "editor": role_user("editor", role_group_name(Role.EDITOR)),
        "department": role_user("dept", role_group_name(Role.DEPARTMENT_HANDLER)),
        "deputy": role_user("deputy", role_group_name(Role.DEPUTY)),
        "auditor": role_user("auditor", role_group_name(Role.AUDITOR)),
    }
    reached = []
    for who, user in people.items():
        client.force_login(user)
        for name, args in (("add", []), ("edit", [key.pk]), ("revoke", [key.pk]), ("delete", [key.pk])):
            url = reverse(f"open311_keys:{name}", args=args)
            for method in ("get", "post"):
                response = getattr(client, method)(url, {"client_name": "冒名系统"} if method == "post" else None)
                if response.status_code == 200 or (
                    response.status_code == 302 and response["Location"].startswith(reverse("open311_keys:index"))
                ):
                    reached.append((who, name, method, response.status_code))
        if who != "auditor":
            assert client.get(reverse("open311_keys:index")).status_code in (302, 403), who
    assert not reached, reached
    assert ApiKey.objects.count() == 1 and ApiKey.objects.get().is_active
    # The auditor reads the list and the key's page (without the key itself, never stored).
    client.force_login(people["auditor"])
    assert client.get(reverse("open311_keys:index")).status_code == 200
    assert client.get(reverse("open311_keys:inspect", args=[key.pk])).status_code == 200


# --- The OpenAPI description ------------------------------------------------------------------------


def test_every_open311_view_is_in_the_openapi_description_with_its_shapes(client, two_streets):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    expected = {
        "/open311/v2/services.{fmt}": ["get"],
        "/open311/v2/services/{service_code}.{fmt}": ["get"],
        "/open311/v2/requests.{fmt}": ["get", "post"],
        "/open311/v2/requests/{request_id}.{fmt}": ["get"],
    }
    for path, methods in expected.items():
        for method in methods:
            operation = paths[path][method]
            assert "application/xml" in operation["responses"]["200" if method == "get" else "201"]["content"]
            assert operation["responses"]["404"]
    create = paths["/open311/v2/requests.{fmt}"]["post"]
    assert set(create["requestBody"]["content"]) >= {"application/x-www-form-urlencoded", "application/json"}
    for status in ("400", "401", "403", "404", "429"):
        assert status in create["responses"]
    components = schema["components"]["schemas"]
    assert {"ServiceRequest", "Service", "ServiceDefinition", "Error", "CreateRequest"} <= set(components)
