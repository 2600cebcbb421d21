"""Duty records (履职记录): entered by staff, self-reported by deputies and verified by the
street committee, or recorded by the platform itself; declared on the one process mechanism,
so the generated contract (tests/process_contract.py) covers every transition, button and
to-do. Bad input is refused in Chinese and stores nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from django.urls import reverse

from base.models import AuditEvent
from base.roles import Role, role_group_name
from content.models import Membership
from duties.models import DeputyAccount, DutyItem, DutyRecord, RecordAction, RecordSource, RecordState
from duties.records import (
    DUTY_RECORDS,
    REPORTER,
    VERIFIER,
    Entry,
    RecordError,
    record_automatically,
    record_by_staff,
    report_by_deputy,
)
from tests import process_contract as contract
from tests.conftest import make_deputy, role_user, station_user, street_user

pytestmark = pytest.mark.django_db
S = RecordState
DAY = dt.date(2026, 11, 20)


def item(number, year=2026):
    return DutyItem.objects.get(scheme__year=year, number=number)


RESEARCH, SESSION, RECEPTION = 9, 1, 6  # self-reportable; staff only; automatic


@pytest.fixture
def world(two_streets, street):
    station = two_streets["station"]
    wang, li = make_deputy("王芳"), make_deputy("李强")
    for deputy in (wang, li):
        Membership.objects.create(station=station, deputy=deputy)
    deputy_user = role_user("wang-fang", role_group_name(Role.DEPUTY))
    DeputyAccount.objects.create(deputy=wang, user=deputy_user)
    return {
        **two_streets,
        "wang": wang,
        "li": li,
        "deputy_user": deputy_user,
        "secretary": street_user(street),
        "staff": station_user(station),
        "outsider": street_user(two_streets["other_street"], "qingbo-secretary"),
    }


def self_report(world, number=RESEARCH, day=DAY, **overrides):
    fields = {"item": item(number, day.year), "date": day, "station": world["station"], "text": "走访东平巷停车难"}
    fields |= {"lead": world["wang"], "others": [world["li"]], **overrides}
    return report_by_deputy(Entry(**fields), world["deputy_user"])


class RecordDriver(contract.Driver):
    def __init__(self, world):
        super().__init__(DUTY_RECORDS, "duty_records:inspect")
        self.world = world

    def bring(self, state):
        record = self_report(self.world)
        secretary, deputy = self.world["secretary"], self.world["deputy_user"]
        path = {
            S.PENDING: [],
            S.VERIFIED: [("verify", secretary, {})],
            S.RETURNED: [("return", secretary, {"note": "请补充调研对象和时长。"})],
            S.WITHDRAWN: [("withdraw", deputy, {})],
            S.VOID: [("verify", secretary, {}), ("void", secretary, {"note": "与3月2日记录重复。"})],
        }[state]
        for name, user, data in path:
            record = DUTY_RECORDS.perform(record, name, user=user, **data)
        assert record.state == state
        return record

    def actor(self, capacity):
        return {VERIFIER: self.world["secretary"], REPORTER: self.world["deputy_user"]}[capacity]

    def outsider(self):
        return self.world["outsider"]

    def data(self, transition, row):
        return {
            "return": {"note": "请补充内容。"},
            "void": {"note": "登记有误。"},
            "resubmit": {"text": "走访东平巷停车难，访谈居民12户。"},
        }.get(transition.name, {})


@pytest.fixture
def driver(world):
    return RecordDriver(world)


# --- Generated from the declaration -----------------------------------------------------------

ALLOWED = contract.allowed_cases(DUTY_RECORDS)
REFUSED = contract.refused_cases(DUTY_RECORDS)
STATES = contract.states(DUTY_RECORDS)
CAPACITIES = sorted({capacity for t in DUTY_RECORDS.transitions for capacity in t.capacities})


@pytest.mark.parametrize(("name", "source", "capacity"), ALLOWED, ids=contract.ids(ALLOWED))
def test_every_allowed_transition_moves_the_record_and_leaves_one_audit_record_and_one_history_row(
    driver, name, source, capacity
):
    contract.check_allowed(driver, name, source, capacity)


@pytest.mark.parametrize(("state", "name"), REFUSED, ids=contract.ids(REFUSED))
def test_every_transition_not_allowed_from_a_state_is_refused_and_leaves_no_trace(driver, state, name):
    contract.check_refused(driver, state, name)


@pytest.mark.parametrize("state", STATES)
def test_someone_with_no_part_in_a_record_is_refused_everything_and_told_nothing(driver, state):
    contract.check_outsider(driver, state)


@pytest.mark.parametrize("state", STATES)
def test_the_detail_page_offers_each_viewer_exactly_the_transitions_they_may_perform(driver, client, state):
    contract.check_buttons(driver, client, state, CAPACITIES)


@pytest.mark.parametrize("key", contract.todo_cases(DUTY_RECORDS))
def test_each_todo_counts_waiting_records_for_those_who_act_on_them(driver, key):
    contract.check_todo(driver, key)


# --- What the records are for -------------------------------------------------------------------


def test_a_self_report_waits_for_verification_and_its_return_reason_reaches_the_deputy(world):
    record = self_report(world)
    assert (record.state, record.source) == (S.PENDING, RecordSource.SELF)
    created = AuditEvent.objects.get(action=RecordAction.CREATED, object_id=str(record.pk))
    assert created.actor == world["deputy_user"] and created.detail["deputies"] == ["王芳", "李强"]
    record = DUTY_RECORDS.perform(record, "return", user=world["secretary"], note="请写明走访了几户。")
    assert record.reason == "请写明走访了几户。"
    record = DUTY_RECORDS.perform(record, "resubmit", user=world["deputy_user"], text="走访东平巷居民12户。")
    record = DUTY_RECORDS.perform(record, "verify", user=world["secretary"])
    assert (record.state, record.text, record.reason) == (S.VERIFIED, "走访东平巷居民12户。", "")
    assert [h.history_change_reason for h in record.history.order_by("history_id")] == [
        "代表自报",
        "退回",
        "重新提交",
        "核实",
    ]


def test_staff_records_count_at_once(world):
    record = record_by_staff(
        Entry(item(SESSION), DAY, world["station"], "出席区十八届人大五次会议", world["wang"]), world["staff"]
    )
    assert record.state == S.VERIFIED and record.verified_at is not None
    assert record.participant_names() == "王芳（牵头）"


BAD_INPUT = {
    "a future date": ({"date": dt.date(2099, 1, 4)}, "晚于今天"),
    "an item of another year's scheme": ({"item": "2027"}, "2026年的积分办法中没有"),
    "an item a deputy may not report": ({"item": "session"}, "不能由代表自报"),
    "no text": ({"text": "  "}, "请填写履职内容"),
    "a deputy not in the station": ({"others": "stranger"}, "不在“东平巷代表联络站”驻站"),
    "a date before the deputy's term": ({"term_start": dt.date(2026, 12, 1)}, "本届任期自 2026-12-01 开始"),
    "a report without the deputy": ({"lead": "li", "others": []}, "须包括您本人"),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_self_reports_are_refused_in_chinese_and_store_nothing(world, case):
    change, message = BAD_INPUT[case]
    fields = dict(change)
    if fields.get("item") == "2027":
        fields["item"] = item(RESEARCH, 2027)
    elif fields.get("item") == "session":
        fields["item"] = item(SESSION)
    if fields.get("others") == "stranger":
        fields["others"] = [make_deputy("陌生人")]
    if fields.get("lead") == "li":
        fields["lead"] = world["li"]
    if "term_start" in fields:
        world["wang"].term_start = fields.pop("term_start")
        world["wang"].save()
    before = (DutyRecord.objects.count(), AuditEvent.objects.filter(action=RecordAction.CREATED).count())
    with pytest.raises(RecordError, match=message):
        self_report(world, **fields)
    assert (DutyRecord.objects.count(), AuditEvent.objects.filter(action=RecordAction.CREATED).count()) == before


def test_staff_of_another_street_cannot_record_for_this_station(world):
    with pytest.raises(RecordError, match="您不能为“东平巷代表联络站”登记履职记录"):
        record_by_staff(Entry(item(RESEARCH), DAY, world["station"], "调研", world["wang"]), world["outsider"])
    assert not DutyRecord.objects.exists()


def test_the_platform_records_one_fact_once(world):
    entry = Entry(item(RECEPTION), DAY, world["station"], "接待日到岗", world["wang"])
    first = record_automatically(entry, "reception:2026-11-20:dongping:wang")
    assert first is not None and first.state == S.VERIFIED and first.recorded_by is None
    assert record_automatically(entry, "reception:2026-11-20:dongping:wang") is None
    assert DutyRecord.objects.filter(auto_key="reception:2026-11-20:dongping:wang").count() == 1


# --- The admin ----------------------------------------------------------------------------------


def add_form(world, **overrides):
    data = {
        "item": item(RESEARCH).pk,
        "date": "2026-11-18",
        "station": world["station"].pk,
        "text": "集中调研月：东平巷停车",
        "lead": world["wang"].pk,
        "others": [world["li"].pk],
    }
    return data | overrides


def test_station_staff_record_an_activity_in_the_admin(client, world):
    client.force_login(world["staff"])
    response = client.post(reverse("duty_records:add"), add_form(world))
    assert response.status_code == 302
    record = DutyRecord.objects.get()
    assert (record.state, record.source, record.recorded_by) == (S.VERIFIED, RecordSource.STAFF, world["staff"])
    assert record.participant_names() == "王芳（牵头）、李强（参与）"


def test_the_admin_form_says_what_is_wrong_and_stores_nothing(client, world):
    client.force_login(world["staff"])
    response = client.post(reverse("duty_records:add"), add_form(world, date="2099-01-04"))
    assert response.status_code == 200
    assert "晚于今天" in response.content.decode()
    assert not DutyRecord.objects.exists()


def test_each_street_sees_only_its_own_records(client, world):
    self_report(world)
    shown = "王芳（牵头）、李强（参与）"
    client.force_login(world["secretary"])
    assert shown in client.get(reverse("duty_records:index")).content.decode()
    client.force_login(world["outsider"])
    assert shown not in client.get(reverse("duty_records:index")).content.decode()
    client.force_login(world["deputy_user"])
    response = client.get(reverse("duty_records:index"))
    assert response.status_code == 200 and shown in response.content.decode()


def test_last_years_items_cannot_be_edited(client, world, fixed_today):
    fixed_today(dt.date(2027, 1, 5))
    admin = role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN))
    client.force_login(admin)
    assert client.get(reverse("duty_items:edit", args=[item(RESEARCH, 2026).pk])).status_code in (302, 403)
    assert client.get(reverse("duty_items:edit", args=[item(RESEARCH, 2027).pk])).status_code == 200
