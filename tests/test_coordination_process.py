"""区街联动: each street's part in a district task is declared on the one process mechanism, so
the generated contract (tests/process_contract.py) covers every transition, refusal, button
and to-do of the district's office and the street committees."""

from __future__ import annotations

import datetime as dt

import pytest

from base.roles import Role, role_group_name
from coordination.models import StreetTask, StreetTaskState, Task, TaskKind
from coordination.street_tasks import DISTRICT, STREET, STREET_TASKS, issue
from tests import process_contract as contract
from tests.conftest import role_user, street_user
from workflows.process import SYSTEM

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)
S = StreetTaskState


@pytest.fixture
def world(two_streets, street, fixed_today):
    fixed_today(TODAY)
    return {
        **two_streets,
        "street": street,
        "office": role_user("district-office", role_group_name(Role.DISTRICT_ADMIN), email="office@example.cn"),
        "secretary": street_user(street),
        "outsider": street_user(two_streets["other_street"], "qingbo-secretary"),
    }


def new_task(world, *streets, title="2027年度基层立法联系点调研", due_on=TODAY + dt.timedelta(days=20)) -> Task:
    task = Task.objects.create(
        title=title,
        kind=TaskKind.RESEARCH,
        year=2027,
        description="围绕基层立法联系点建设开展调研，形成调研报告。",
        due_on=due_on,
        created_by=world["office"],
    )
    issue(task, streets or [world["street"]], user=world["office"])
    return task


class StreetTaskDriver(contract.Driver):
    def __init__(self, world):
        super().__init__(STREET_TASKS, "coordination_street_tasks:inspect")
        self.world = world
        self.count = 0

    def bring(self, state):
        self.count += 1
        task = new_task(self.world, title=f"调研课题{self.count}")
        row = StreetTask.objects.get(task=task)
        office, secretary = self.world["office"], self.world["secretary"]
        result = ("submit_result", secretary, {"text": "调研报告已完成。"})
        path = {
            S.ISSUED: [],
            S.ACCEPTED: [("accept", secretary, {})],
            S.SUBMITTED: [("accept", secretary, {}), result],
            S.RETURNED: [("accept", secretary, {}), result, ("return_result", office, {"reason": "缺少数据。"})],
            S.COMPLETED: [("accept", secretary, {}), result, ("complete", office, {})],
        }[state]
        for name, user, data in path:
            row = STREET_TASKS.perform(row, name, user=user, **data)
        assert row.state == state
        return row

    def actor(self, capacity):
        return {DISTRICT: self.world["office"], STREET: self.world["secretary"], SYSTEM: None}[capacity]

    def outsider(self):
        return self.world["outsider"]

    def data(self, transition, row):
        return {
            "report_progress": {"text": "已召开两次座谈会。"},
            "submit_result": {"text": "调研报告已完成。"},
            "return_result": {"reason": "缺少数据。"},
            "change_deadline": {"due_on": TODAY + dt.timedelta(days=30)},
        }.get(transition.name, {})

    def waiting(self, todo, transition):
        if todo.key == "overdue":
            row = self.bring(S.ACCEPTED)
            StreetTask.objects.filter(pk=row.pk).update(due_on=TODAY - dt.timedelta(days=1))
            return row
        return super().waiting(todo, transition)


CASES = contract.cases(STREET_TASKS)


@pytest.mark.parametrize(("check", "kind", "case"), CASES, ids=contract.case_ids(CASES))
def test_the_process_contract_holds_for_street_tasks(world, client, check, kind, case):
    contract.run(StreetTaskDriver(world), client, check, case, [DISTRICT, STREET])
