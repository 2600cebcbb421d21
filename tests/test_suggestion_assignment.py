"""交办 of deputy suggestions: one lead department and any co-handlers, a statutory deadline on
the working-day calendar, each department signing for its part or asking to be taken off
it. Each department's part is a process of its own, so the generated contract covers its
transitions, buttons and to-dos; a second lead department and other bad input are refused
with a reason and store nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from django.urls import reverse

from base.roles import Role, department_group_name, role_group_name
from suggestions.assignment import ASSIGNMENTS, HANDLER, statutory_deadline
from suggestions.drafting import OFFICE, SUGGESTIONS, SuggestionError
from suggestions.models import AssignmentRole, AssignmentState, SuggestionAssignment, SuggestionState
from tests import process_contract as contract
from tests.conftest import role_user
from tests.test_suggestion_drafting import SuggestionDriver
from tests.test_suggestion_drafting import world as world  # noqa: F401 - the shared fixture
from workflows.process import TransitionError

pytestmark = pytest.mark.django_db
A, S = AssignmentState, SuggestionState


@pytest.fixture
def handlers(world):
    return {
        key: role_user(f"handler-{key}", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(world[key]))
        for key in ("lead_department", "co_department", "third_department")
    }


def assigned(world, **data):
    driver = SuggestionDriver(world)
    suggestion = driver.bring(S.FILED)
    return SUGGESTIONS.perform(suggestion, "assign", user=world["office"], **(driver.assign_data() | data))


class AssignmentDriver(contract.Driver):
    def __init__(self, world, handlers):
        super().__init__(ASSIGNMENTS, "suggestion_assignments:inspect")
        self.world, self.handlers = world, handlers

    def bring(self, state):
        suggestion = assigned(self.world)
        row = suggestion.assignments.get(role=AssignmentRole.CO)  # a co-handler's part has every step
        handler, office = self.handlers["co_department"], self.world["office"]
        opinion = {"opinion": "同意延长绿灯，配合设置提示牌。"}
        path = {
            A.ASSIGNED: [],
            A.SIGNED: [("sign", handler, {})],
            A.OPINED: [("sign", handler, {}), ("send_opinion", handler, opinion)],
            A.ADJUST: [("request_adjust", handler, {"note": "不属于本单位职责。"})],
            A.RELEASED: [
                ("request_adjust", handler, {"note": "不属于本单位职责。"}),
                ("grant_adjust", office, {}),
            ],
        }[state]
        for name, user, data in path:
            row = ASSIGNMENTS.perform(row, name, user=user, **data)
        assert row.state == state
        return row

    def actor(self, capacity):
        return {HANDLER: self.handlers["co_department"], OFFICE: self.world["office"]}[capacity]

    def outsider(self):
        return self.handlers["third_department"]

    def data(self, transition, row):
        return {
            "request_adjust": {"note": "不属于本单位职责。"},
            "refuse_adjust": {"note": "属于本单位职责，请签收。"},
            "send_opinion": {"opinion": "同意延长绿灯，配合设置提示牌。"},
        }.get(transition.name, {})

    def waiting(self, todo, transition):
        if todo.key == "to_opine":
            return self.bring(A.SIGNED)
        return super().waiting(todo, transition)


CASES = [
    *[("allowed", case) for case in contract.allowed_cases(ASSIGNMENTS)],
    *[("refused", case) for case in contract.refused_cases(ASSIGNMENTS)],
    *[("outsider", state) for state in contract.states(ASSIGNMENTS)],
    *[("buttons", state) for state in contract.states(ASSIGNMENTS)],
    *[("todo", key) for key in contract.todo_cases(ASSIGNMENTS)],
]


@pytest.mark.parametrize(("check", "case"), CASES, ids=[f"{c}-{contract.ids([x])[0]}" for c, x in CASES])
def test_the_process_contract_holds_for_each_departments_part(world, handlers, client, check, case):
    driver = AssignmentDriver(world, handlers)
    if check == "allowed":
        contract.check_allowed(driver, *case)
    elif check == "refused":
        contract.check_refused(driver, *case)
    elif check == "outsider":
        contract.check_outsider(driver, case)
    elif check == "buttons":
        contract.check_buttons(driver, client, case, [HANDLER, OFFICE])
    else:
        contract.check_todo(driver, case)


def test_assignment_makes_one_lead_and_the_co_handlers_with_the_statutory_deadline(world, fixed_today):
    fixed_today(dt.date(2026, 7, 1))
    suggestion = assigned(world)
    assert suggestion.state == S.ASSIGNED
    assert sorted(suggestion.assignments.values_list("department__name", "role", "state")) == [
        ("区公安分局交警大队", "lead", "assigned"),
        ("区城管局", "co", "assigned"),
    ]
    # Three months from 1 July is 1 October, the National Day holiday: the first working day after it.
    assert suggestion.deadline == dt.date(2026, 10, 8)


def test_the_deadline_is_months_later_on_a_working_day():
    assert statutory_deadline(dt.date(2026, 3, 2), 3) == dt.date(2026, 6, 2)
    assert statutory_deadline(dt.date(2026, 8, 31), 6) == dt.date(2027, 3, 1)  # 28 Feb 2027 is a Sunday


BAD_ASSIGNMENTS = {
    "the lead also as a co-handler": ({"co": "lead"}, "已是主办单位，不能同时协办"),
    "more months than the law allows": ({"months": 7}, "办理期限须在 1 到 6 个月之间"),
    "no lead department": ({"lead": None}, "请选择主办单位"),
}


@pytest.mark.parametrize("case", BAD_ASSIGNMENTS, ids=list(BAD_ASSIGNMENTS))
def test_bad_assignments_are_refused_and_store_nothing(world, case):
    change, message = BAD_ASSIGNMENTS[case]
    change = dict(change)
    if change.get("co") == "lead":
        change["co"] = [world["lead_department"]]
    with pytest.raises(TransitionError, match=message):
        assigned(world, **change)
    assert not SuggestionAssignment.objects.exists()
    assert SUGGESTIONS.model.objects.get().state == S.FILED


def test_a_second_lead_department_is_refused_until_the_first_is_released(world, handlers):
    suggestion = assigned(world)
    with pytest.raises(SuggestionError, match="主办单位只能有一个"):
        SUGGESTIONS.perform(
            suggestion, "add_department", user=world["office"], department=world["third_department"], role="lead"
        )
    assert suggestion.assignments.count() == 2
    lead = suggestion.assignments.get(role=AssignmentRole.LEAD)
    lead = ASSIGNMENTS.perform(lead, "request_adjust", user=handlers["lead_department"], note="应由区住建局主办。")
    ASSIGNMENTS.perform(lead, "grant_adjust", user=world["office"], note="同意，改由区住建局主办。")
    SUGGESTIONS.perform(
        suggestion, "add_department", user=world["office"], department=world["third_department"], role="lead"
    )
    active = suggestion.assignments.exclude(state=A.RELEASED)
    assert active.get(role=AssignmentRole.LEAD).department == world["third_department"]


def test_a_department_sees_and_signs_only_its_own_part(client, world, handlers):
    suggestion = assigned(world)
    client.force_login(handlers["co_department"])
    listing = client.get(reverse("suggestion_assignments:index")).content.decode()
    assert "区城管局" in listing and "区公安分局交警大队" not in listing
    assert suggestion.title in client.get(reverse("suggestions:inspect", args=[suggestion.pk])).content.decode()
    co = suggestion.assignments.get(role=AssignmentRole.CO)
    client.post(reverse("suggestion_assignments:act", args=[co.pk, "sign"]), {"sign-version": co.version})
    assert SuggestionAssignment.objects.get(pk=co.pk).state == A.SIGNED
    lead = suggestion.assignments.get(role=AssignmentRole.LEAD)
    client.post(reverse("suggestion_assignments:act", args=[lead.pk, "sign"]), {"sign-version": lead.version})
    assert SuggestionAssignment.objects.get(pk=lead.pk).state == A.ASSIGNED
    client.force_login(handlers["third_department"])
    assert client.get(reverse("suggestions:inspect", args=[suggestion.pk])).status_code in (302, 403, 404)
