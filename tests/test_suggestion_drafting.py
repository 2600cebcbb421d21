"""代表建议, drafting to filing: a deputy drafts in 代表e站 with co-signers who confirm in their own
portal; the lead submits for pre-review; the liaison office returns it with comments or
files it, numbered in its year's series of its kind, or as a 批评和意见. Declared on the one
process mechanism, so the generated contract covers every transition, button and to-do.
Bad input and races are refused with a reason and store nothing."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from django.db import connection
from django.urls import reverse

from base.models import AuditEvent
from base.roles import Role, department_group_name, role_group_name
from content.models import Membership
from duties.models import DeputyAccount
from suggestions.assignment import ASSIGNMENTS
from suggestions.drafting import (
    AUTHOR,
    COSIGNER,
    COSIGNS,
    LEAD_HANDLER,
    OFFICE,
    SUGGESTIONS,
    Draft,
    SuggestionError,
    revise,
    start_draft,
)
from suggestions.models import CosignState, ReviewDecision, Suggestion, SuggestionKind, SuggestionState
from tests import process_contract as contract
from tests.conftest import make_deputy, new_opinion, role_user, street_user
from workflows.models import Category, Department
from workflows.process import SYSTEM, Conflict

pytestmark = pytest.mark.django_db
S, C = SuggestionState, CosignState
TODAY = dt.date(2026, 11, 30)


@pytest.fixture
def world(two_streets, street, fixed_today):
    fixed_today(TODAY)
    station = two_streets["station"]
    deputies = {name: make_deputy(name) for name in ("王芳", "李强", "赵敏")}
    users = {}
    for index, (name, deputy) in enumerate(deputies.items()):
        Membership.objects.create(station=station, deputy=deputy)
        users[name] = role_user(f"deputy-{index}", role_group_name(Role.DEPUTY))
        DeputyAccount.objects.create(deputy=deputy, user=users[name])
    world = {
        **two_streets,
        **{f"d_{name}": deputy for name, deputy in deputies.items()},
        **users,
        "office": role_user("office", role_group_name(Role.DISTRICT_ADMIN)),
        "secretary": street_user(street),
        "category": Category.objects.get(name="交通出行"),
        "lead_department": Department.objects.create(name="区公安分局交警大队"),
        "co_department": Department.objects.create(name="区城管局"),
        "third_department": Department.objects.create(name="区住建局"),
    }
    world["lead_handler"] = role_user(
        "jj-handler", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(world["lead_department"])
    )
    return world


def draft(world, **overrides):
    fields = {
        "kind": SuggestionKind.RECESS,
        "title": "关于延长东平巷路口行人绿灯时间的建议",
        "category": world["category"],
        "problem": "东平巷路口行人绿灯只有15秒，老人和带孩子的居民过马路来不及，已发生多次险情。",
        "measures": "建议交警部门把行人绿灯延长到30秒，并增设倒计时提示。",
        "cosigners": [world["d_李强"]],
    }
    return Draft(**(fields | overrides))


def drafted(world, **overrides):
    return start_draft(world["d_王芳"], world["王芳"], draft(world, **overrides))


def cosigned(world, suggestion):
    row = suggestion.cosigners.get(deputy=world["d_李强"])
    COSIGNS.perform(row, "confirm", user=world["李强"])
    return suggestion


# --- The contract ----------------------------------------------------------------------------------


class SuggestionDriver(contract.Driver):
    def __init__(self, world):
        super().__init__(SUGGESTIONS, "suggestions:inspect")
        self.world = world

    def bring(self, state):
        suggestion = cosigned(self.world, drafted(self.world))
        lead, office = self.world["王芳"], self.world["office"]
        path = {
            S.DRAFT: [],
            S.REVIEW: [("submit", lead, {})],
            S.RETURNED: [("submit", lead, {}), ("return", office, {"note": "请补充路口位置和车流量。"})],
            S.FILED: [("submit", lead, {}), ("accept", office, {})],
            S.ASSIGNED: [("submit", lead, {}), ("accept", office, {}), ("assign", office, self.assign_data())],
            S.WITHDRAWN: [("withdraw", lead, {})],
        }.get(state)
        if path is None:  # replied, reopened, closed: assigned, signed by the lead department, replied
            path = [("submit", lead, {}), ("accept", office, {}), ("assign", office, self.assign_data())]
        for name, user, data in path:
            suggestion = SUGGESTIONS.perform(suggestion, name, user=user, **data)
        if suggestion.state == S.ASSIGNED:  # the lead department has signed for it
            ASSIGNMENTS.perform(suggestion.assignments.get(role="lead"), "sign", user=self.world["lead_handler"])
        if state in (S.REPLIED, S.REOPENED, S.CLOSED):
            suggestion = self.replied(suggestion, category="B" if state == S.CLOSED else "A")
        if state in (S.REOPENED, S.CLOSED):
            rating = "unsatisfied" if state == S.REOPENED else "satisfied"
            suggestion = SUGGESTIONS.perform(suggestion, "rate", user=lead, rating=rating)
        if state == S.CLOSED:  # its B promise has fallen due since (time passes for the follow-up)
            suggestion.replies.update(promised_on=TODAY - dt.timedelta(days=1))
        assert suggestion.state == state
        return suggestion

    def replied(self, suggestion, category="A"):
        return SUGGESTIONS.perform(suggestion, "reply", user=self.world["lead_handler"], **self.reply_data(category))

    @staticmethod
    def reply_data(category="A"):
        data = {
            "category": category,
            "text": "已将行人绿灯延长至30秒。",
            "contact_method": "phone",
            "contacted_on": TODAY,
        }
        return data | ({"promised_on": TODAY + dt.timedelta(days=30)} if category == "B" else {})

    def actor(self, capacity):
        return {
            AUTHOR: self.world["王芳"],
            OFFICE: self.world["office"],
            COSIGNER: self.world["李强"],
            LEAD_HANDLER: self.world["lead_handler"],
        }[capacity]

    def outsider(self):
        return self.world["赵敏"]

    def assign_data(self):
        return {"lead": self.world["lead_department"], "co": [self.world["co_department"]], "months": 3}

    def data(self, transition, row):
        return {
            "return": {"note": "请补充。"},
            "convert": {"note": "属于对工作的批评。"},
            "assign": self.assign_data(),
            "add_department": {"department": self.world["third_department"], "role": "co"},
            "reply": self.reply_data(),
            "rate": {"rating": "satisfied"},
            "follow_up": {"note": "已完成改造，居民反映良好。"},
            "mark_key": {"leader": "区人大常委会副主任张明", "group": [self.world["d_赵敏"]]},
            "record_supervision": {"kind": "inspection", "date": TODAY, "findings": "现场察看路口，绿灯已延长。"},
        }.get(transition.name, {})

    def waiting(self, todo, transition):
        if todo.key == "to_publish":  # closed, not yet approved for publication
            return self.bring(S.CLOSED)
        return super().waiting(todo, transition)


class CosignDriver(contract.Driver):
    def __init__(self, world):
        super().__init__(COSIGNS, "")
        self.world = world

    def bring(self, state):
        row = drafted(self.world).cosigners.get()
        if state == C.CONFIRMED:
            row = COSIGNS.perform(row, "confirm", user=self.world["李强"])
        elif state == C.DECLINED:
            row = COSIGNS.perform(row, "decline", user=self.world["李强"])
        assert row.state == state
        return row

    def actor(self, capacity):
        return {COSIGNER: self.world["李强"], SYSTEM: None}[capacity]

    def outsider(self):
        return self.world["赵敏"]


def _cases(kind, process):
    return [
        *[("allowed", kind, case) for case in contract.allowed_cases(process)],
        *[("refused", kind, case) for case in contract.refused_cases(process)],
        *[("outsider", kind, state) for state in contract.states(process)],
        *[("todo", kind, key) for key in contract.todo_cases(process)],
        *([("buttons", kind, state) for state in contract.states(process)] if kind == "suggestions" else []),
    ]


CASES = _cases("suggestions", SUGGESTIONS) + _cases("cosigns", COSIGNS)


@pytest.mark.parametrize(("check", "kind", "case"), CASES, ids=[f"{c}-{k}-{contract.ids([x])[0]}" for c, k, x in CASES])
def test_the_process_contract_holds_for_suggestions_and_cosigning(world, client, check, kind, case):
    driver = SuggestionDriver(world) if kind == "suggestions" else CosignDriver(world)
    if check == "allowed":
        contract.check_allowed(driver, *case)
    elif check == "refused":
        contract.check_refused(driver, *case)
    elif check == "outsider":
        contract.check_outsider(driver, case)
    elif check == "buttons":
        contract.check_buttons(driver, client, case, [OFFICE])
    else:
        contract.check_todo(driver, case)


# --- Drafting and co-signing ------------------------------------------------------------------------


def test_a_draft_cannot_be_submitted_until_every_cosigner_has_answered(world):
    suggestion = drafted(world)
    with pytest.raises(SuggestionError, match="还有附议代表未确认：李强"):
        SUGGESTIONS.perform(suggestion, "submit", user=world["王芳"])
    assert Suggestion.objects.get().state == S.DRAFT and not suggestion.rounds.exists()
    COSIGNS.perform(suggestion.cosigners.get(), "decline", user=world["李强"])
    suggestion = SUGGESTIONS.perform(suggestion, "submit", user=world["王芳"])
    assert suggestion.state == S.REVIEW and suggestion.rounds.count() == 1


def test_confirming_twice_is_refused_and_leaves_one_trace(world):
    suggestion = drafted(world)
    row = suggestion.cosigners.get()
    COSIGNS.perform(row, "confirm", user=world["李强"])
    with pytest.raises(Conflict, match="已确认附议"):
        COSIGNS.perform(row, "confirm", user=world["李强"])
    assert AuditEvent.objects.filter(action="suggestion_cosign").count() == 1


def test_changing_the_draft_asks_the_cosigners_again(world):
    suggestion = cosigned(world, drafted(world))
    revise(suggestion, world["王芳"], draft(world, measures="建议把行人绿灯延长到35秒，并加装语音提示。"))
    row = suggestion.cosigners.get()
    assert row.state == C.INVITED and row.confirmed_at is None
    event = AuditEvent.objects.filter(action="suggestion_cosign").latest("pk")
    assert event.detail["transition"] == "ask_again" and event.actor_username == "系统（草稿已修改）"


BAD_DRAFTS = {
    "a co-signer who is not a serving deputy": ({"cosigners": "former"}, "不是在任代表，不能附议"),
    "a title too short": ({"title": "红绿灯"}, "至少 4 个字"),
    "no problem described": ({"problem": "过马路难"}, "至少 20 个字"),
    "no measures": ({"measures": "改"}, "至少 10 个字"),
    "the lead as their own co-signer": ({"cosigners": "self"}, "领衔代表不必再附议"),
    "someone else's opinion as the source": ({"source_opinion": "other"}, "只能从您本人接待收集的意见"),
}


@pytest.mark.parametrize("case", BAD_DRAFTS, ids=list(BAD_DRAFTS))
def test_bad_drafts_are_refused_in_chinese_and_store_nothing(world, case):
    change, message = BAD_DRAFTS[case]
    change = dict(change)
    if change.get("cosigners") == "former":
        change["cosigners"] = [make_deputy("钱前", is_active=False)]
    elif change.get("cosigners") == "self":
        change["cosigners"] = [world["d_王芳"]]
    if change.get("source_opinion") == "other":
        change["source_opinion"] = new_opinion(world["station"])
    with pytest.raises(SuggestionError, match=message):
        drafted(world, **change)
    assert not Suggestion.objects.exists()
    assert not AuditEvent.objects.filter(action="suggestion_drafted").exists()


# --- Pre-review and filing ----------------------------------------------------------------------------


def test_each_round_keeps_the_text_as_submitted_and_filing_numbers_the_series_of_its_kind(world):
    suggestion = cosigned(world, drafted(world))
    SUGGESTIONS.perform(suggestion, "submit", user=world["王芳"])
    SUGGESTIONS.perform(suggestion, "return", user=world["office"], note="请写明路口的具体位置。")
    suggestion.refresh_from_db()
    assert suggestion.review_comment == "请写明路口的具体位置。"
    revise(suggestion, world["王芳"], draft(world, title="关于延长东平巷与解放路口行人绿灯时间的建议"))
    assert suggestion.cosigners.get().state == C.CONFIRMED  # after a return the co-signers stand
    SUGGESTIONS.perform(suggestion, "submit", user=world["王芳"])
    suggestion = SUGGESTIONS.perform(suggestion, "accept", user=world["office"])
    first, second = suggestion.rounds.order_by("number")
    assert (first.decision, first.comment, first.title) == (
        ReviewDecision.RETURNED,
        "请写明路口的具体位置。",
        "关于延长东平巷路口行人绿灯时间的建议",
    )
    assert (second.decision, second.title) == (ReviewDecision.ACCEPTED, "关于延长东平巷与解放路口行人绿灯时间的建议")
    assert (suggestion.state, suggestion.number) == (S.FILED, "2026年闭会期间第1号")

    other = SuggestionDriver(world).bring(S.FILED)
    third = cosigned(world, drafted(world, kind=SuggestionKind.SESSION))
    SUGGESTIONS.perform(third, "submit", user=world["王芳"])
    third = SUGGESTIONS.perform(third, "convert", user=world["office"], note="属于对工作的批评。")
    assert other.number == "2026年闭会期间第2号"
    assert (third.number, third.get_type_display(), third.conversion_reason) == (
        "2026年大会期间第1号",
        "批评和意见",
        "属于对工作的批评。",
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent filings need a server database")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_filings_at_once_get_two_numbers(world):
    suggestions = []
    for _ in range(2):
        suggestion = cosigned(world, drafted(world))
        suggestions.append(SUGGESTIONS.perform(suggestion, "submit", user=world["王芳"]))
    barrier, errors = threading.Barrier(2), []

    def file(suggestion):
        try:
            barrier.wait()
            SUGGESTIONS.perform(suggestion, "accept", user=world["office"])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=(s,)) for s in suggestions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(Suggestion.objects.values_list("serial", flat=True)) == [1, 2]


# --- In 代表e站 -------------------------------------------------------------------------------------------


def test_a_deputy_drafts_on_the_portal_the_cosigner_confirms_in_theirs_and_the_lead_submits(client, world):
    opinion = new_opinion(world["station"], received_by_deputy=world["d_王芳"], channel="deputy")
    client.force_login(world["王芳"])
    form = client.get(reverse("suggestion_portal:new") + f"?opinion={opinion.pk}").content.decode()
    assert opinion.receipt_no in form and "李强" in form and "赵敏" in form
    response = client.post(
        reverse("suggestion_portal:new") + f"?opinion={opinion.pk}",
        {
            "kind": "recess",
            "title": "关于延长东平巷路口行人绿灯时间的建议",
            "category": world["category"].pk,
            "problem": "东平巷路口行人绿灯只有15秒，老人和带孩子的居民过马路来不及，已发生多次险情。",
            "measures": "建议交警部门把行人绿灯延长到30秒，并增设倒计时提示。",
            "cosigners": [world["d_李强"].pk],
        },
        follow=True,
    )
    suggestion = Suggestion.objects.get()
    assert suggestion.source_opinion == opinion and "已请 1 位代表附议" in response.content.decode()
    url = reverse("suggestion_portal:detail", args=[suggestion.pk])
    refused = client.post(url, {"action": "submit", "submit-version": suggestion.version}, follow=True)
    assert "还有附议代表未确认：李强" in refused.content.decode()

    client.force_login(world["李强"])
    assert suggestion.title in client.get(reverse("suggestion_portal:index")).content.decode()
    row = suggestion.cosigners.get()
    client.post(url, {"action": "confirm", "confirm-version": row.version})
    assert suggestion.cosigners.get().state == C.CONFIRMED

    client.force_login(world["王芳"])
    done = client.post(url, {"action": "submit", "submit-version": suggestion.version}, follow=True)
    assert "已提交预审" in done.content.decode()
    assert Suggestion.objects.get().state == S.REVIEW


def test_the_office_returns_in_the_admin_and_the_deputy_sees_what_changed_between_rounds(client, world):
    suggestion = SuggestionDriver(world).bring(S.REVIEW)
    client.force_login(world["office"])
    client.post(
        reverse("suggestions:act", args=[suggestion.pk, "return"]),
        {"return-version": suggestion.version, "return-note": "请写明路口的具体位置。"},
    )
    suggestion.refresh_from_db()
    assert suggestion.state == S.RETURNED
    revise(suggestion, world["王芳"], draft(world, title="关于延长东平巷与解放路口行人绿灯时间的建议"))
    SUGGESTIONS.perform(suggestion, "submit", user=world["王芳"])
    page = client.get(reverse("suggestions:inspect", args=[suggestion.pk])).content.decode()
    assert "第2轮" in page and "<ins>与解放</ins>" in page and "请写明路口的具体位置。" in page
    client.force_login(world["王芳"])
    portal = client.get(reverse("suggestion_portal:detail", args=[suggestion.pk])).content.decode()
    assert "<ins>与解放</ins>" in portal and "请写明路口的具体位置。" in portal


def test_other_deputies_and_street_staff_see_nothing_of_a_suggestion(client, world):
    suggestion = SuggestionDriver(world).bring(S.REVIEW)
    client.force_login(world["赵敏"])
    assert client.get(reverse("suggestion_portal:detail", args=[suggestion.pk])).status_code == 404
    assert suggestion.title not in client.get(reverse("suggestion_portal:index")).content.decode()
    client.force_login(world["secretary"])
    assert client.get(reverse("suggestions:inspect", args=[suggestion.pk])).status_code in (302, 403, 404)
