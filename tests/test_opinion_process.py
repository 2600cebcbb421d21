"""The opinion loop through the generated process tests (tests/process_contract.py): the
buttons each person sees, the to-dos, and outsiders refused in every state. (Every allowed
and refused transition is generated from the same declaration in test_opinion_loop.py.)"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from django.urls import reverse
from django.utils import timezone

from tests import process_contract as contract
from tests.conftest import new_opinion
from tests.test_opinion_loop import loop  # noqa: F401  (the fixture: a district, its people, a department)
from workflows import opinions
from workflows.models import Opinion, OpinionState
from workflows.opinions import HANDLER, OPINIONS, PUBLISHER, STAFF, SUPERVISOR

pytestmark = pytest.mark.django_db
S = OpinionState

# The transitions that bring a new opinion to each state (one new row each: see `bring`).
PATHS = {
    S.SUBMITTED: [],
    S.REJECTED: [("reject", "staff", {"reason": "不属于受理范围"})],
    S.DUPLICATE: [("mark_duplicate", "staff", {})],
    S.ACCEPTED: [("accept", "staff", {})],
    S.ASSIGNED: [("accept", "staff", {}), ("assign", "staff", {})],
}
PATHS[S.SIGNED] = [*PATHS[S.ASSIGNED], ("sign", "handler", {})]
PATHS[S.REPLIED] = [*PATHS[S.SIGNED], ("reply", "handler", {"outcome": "resolved", "text": "已处理"})]
PATHS[S.EVALUATED] = [*PATHS[S.REPLIED], ("evaluate", "staff", {"rating": "satisfied"})]
PATHS[S.CLOSED] = [*PATHS[S.EVALUATED], ("close", "staff", {})]
PATHS[S.REOPENED] = [*PATHS[S.REPLIED], ("evaluate", "staff", {"rating": "unsatisfied"})]


class OpinionDriver(contract.Driver):
    def __init__(self, world):
        # The street's secretary runs the queue, supervises and approves publication.
        super().__init__(OPINIONS, "opinions:inspect", holds={SUPERVISOR: {STAFF, SUPERVISOR, PUBLISHER}})
        self.world = world

    def bring(self, state):
        opinion = new_opinion(self.world["station"])
        for name, who, data in PATHS[state]:
            if name == "mark_duplicate":  # the original: an earlier opinion, or the first one raised
                data = {"original": Opinion.objects.exclude(pk=opinion.pk).first()}
                if data["original"] is None:
                    data["original"] = new_opinion(self.world["other_station"])
            if name == "assign":
                data = {"department": self.world["department"]}
            opinion = opinions.perform(opinion, name, user=self.world[who], **data)
        assert opinion.state == state
        return opinion

    def holds_on(self, capacity, row):
        if capacity == HANDLER and row.department_id != self.world["department"].pk:
            return set()  # a department sees an opinion once it is assigned to it
        return super().holds_on(capacity, row)

    def actor(self, capacity):
        people = {STAFF: "staff", SUPERVISOR: "secretary", HANDLER: "handler", PUBLISHER: "editor"}
        return self.world[people[capacity]] if capacity in people else None  # citizens and sweeps: no account

    def outsider(self):
        return self.world["outsider"]

    def data(self, transition, row):
        return {"reason": "理由", "note": "说明", "rating": "satisfied", "outcome": "resolved", "text": "答复"}

    def waiting(self, todo, transition):
        if todo.key == "to_publish":
            replied = self.bring(S.REPLIED)
            return opinions.perform(
                replied,
                "request_publication",
                user=self.world["staff"],
                summary="停车难已解决",
                public_reply="已增设。",
            )
        if todo.key == "overdue":
            accepted = self.bring(S.ACCEPTED)
            long_ago = timezone.localdate() - dt.timedelta(days=60)
            return opinions.perform(
                accepted, "assign", user=self.world["staff"], department=self.world["department"], today=long_ago
            )
        return super().waiting(todo, transition)


@pytest.fixture
def driver(loop):  # noqa: F811
    return OpinionDriver(loop)


STATES = contract.states(OPINIONS)
VIEWERS = [STAFF, SUPERVISOR, HANDLER, PUBLISHER]


@pytest.mark.parametrize("state", STATES)
def test_the_detail_page_offers_each_viewer_exactly_the_transitions_they_may_perform(driver, client, state):
    contract.check_buttons(driver, client, state, VIEWERS)


@pytest.mark.parametrize("key", contract.todo_cases(OPINIONS))
def test_each_todo_counts_the_opinions_waiting_for_those_who_act_on_them(driver, key):
    contract.check_todo(driver, key)


@pytest.mark.parametrize("state", STATES)
def test_another_streets_committee_is_refused_everything_and_told_nothing(driver, state):
    contract.check_outsider(driver, state)


def test_the_next_step_comes_first_and_refusals_last_and_set_apart(driver, client):
    accepted = driver.bring(S.ACCEPTED)
    client.force_login(driver.world["secretary"])
    response = client.get(reverse("opinions:inspect", args=[accepted.pk]))
    order = [action["transition"].name for action in response.context["actions"]]
    assert order == ["assign", "escalate", "supervise", "mark_duplicate"]  # not 交办 below 标记重复 and 上报
    page = response.content.decode()
    assert 'class="button button-secondary no" data-transition="mark_duplicate"' in page
    assert 'class="button" data-transition="assign"' in page
    # The title says which opinion (its receipt number); the subtitle does not repeat it.
    assert response.context["page_title"] == f"{accepted.receipt_no} · 已受理"
    assert response.context["page_subtitle"] == accepted.title
    listing = client.get(reverse("opinions:list")).content.decode()
    assert re.search(r'<td class="[^"]*nowrap[^"]*"', listing)  # receipt numbers do not wrap


def test_the_admin_loads_the_platforms_own_styles(client, driver):
    client.force_login(driver.world["secretary"])
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "css/admin.css" in page
