"""Tests generated from a process's declaration (`workflows.process.Process`).

A process's test module describes its world in a `Driver`: how to bring a fresh row to each
state through the real transitions, who holds which capacity, someone with no part in the
rows, and what each transition's form would carry. The cases then come from the declaration
alone, so a transition added to the table is tested without writing a test:

- every (transition, source state, capacity) it allows moves the row to one of its targets,
  claims the version and leaves exactly one audit record and one history row;
- every transition not allowed from a state is a conflict there (or, for someone with no part
  in the row in that state, not allowed), and leaves no trace;
- someone with no part in a row is refused every transition, without learning its state;
- the detail page offers exactly the transitions the viewer's capacities allow (buttons);
- each to-do counts the rows waiting for the people who may act on them, and nobody else's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from django.urls import reverse

from base.models import AuditEvent
from workflows.process import ACTORLESS_NAMES, Conflict, NotAllowed, Process


@dataclass
class Driver:
    """How a test module drives one process. Subclasses implement the four methods."""

    process: Process
    detail_url_name: str
    # capacity → the capacities the person acting in it holds on the rows brought (for buttons)
    holds: dict[str, set[str]] = field(default_factory=dict)

    def bring(self, state: str):
        """A fresh row in `state`, reached through the real transitions."""
        raise NotImplementedError

    def actor(self, capacity: str):
        """Someone holding `capacity` on the rows brought (None for an actorless capacity)."""
        raise NotImplementedError

    def outsider(self):
        """Someone with no part in the rows brought."""
        raise NotImplementedError

    def data(self, transition, row) -> dict:
        """What the transition's form would carry for this row."""
        return {}

    def holds_on(self, capacity: str, row) -> set[str]:
        """The capacities the person acting in `capacity` holds on this row (by default those
        in `holds`): the buttons they must see. Empty: the row is not theirs to see at all."""
        return self.holds.get(capacity, {capacity})

    def waiting(self, todo, transition):
        """A fresh row that the to-do counts: by default one in its state (or the transition's
        first source); to-dos with another condition need the driver to bring one."""
        return self.bring(todo.state or transition.sources[0])


# --- The cases, from the declaration ---------------------------------------------------------


def states(process: Process) -> list[str]:
    return [value for value, _label in process.model._meta.get_field("state").choices]


def allowed_cases(process: Process) -> list[tuple[str, str, str]]:
    return [
        (t.name, source, capacity) for t in process.transitions for source in t.sources for capacity in t.capacities
    ]


def refused_cases(process: Process) -> list[tuple[str, str]]:
    return [(state, t.name) for state in states(process) for t in process.transitions if state not in t.sources]


def todo_cases(process: Process) -> list[str]:
    return [todo.key for todo, _transition in process.todo_entries()]


def ids(cases) -> list[str]:
    return ["-".join(str(part) for part in case) if isinstance(case, tuple) else str(case) for case in cases]


def cases(process: Process, kind: str = "") -> list[tuple[str, str, object]]:
    """Every case generated from the declaration, as (check, kind, case); `kind` names the
    process when a module drives several."""
    return [
        *[("allowed", kind, case) for case in allowed_cases(process)],
        *[("refused", kind, case) for case in refused_cases(process)],
        *[("outsider", kind, state) for state in states(process)],
        *[("buttons", kind, state) for state in states(process)],
        *[("todo", kind, key) for key in todo_cases(process)],
    ]


def case_ids(generated) -> list[str]:
    return [
        f"{check}-{kind}-{ids([case])[0]}" if kind else f"{check}-{ids([case])[0]}" for check, kind, case in generated
    ]


def run(driver: Driver, client, check: str, case, capacities) -> None:
    """Run one generated case; the detail page's buttons are checked for the person acting in
    each of `capacities`."""
    if check == "allowed":
        check_allowed(driver, *case)
    elif check == "refused":
        check_refused(driver, *case)
    elif check == "outsider":
        check_outsider(driver, case)
    elif check == "buttons":
        check_buttons(driver, client, case, capacities)
    else:
        check_todo(driver, case)


# --- What each case checks ---------------------------------------------------------------------


def traces(process: Process, row) -> tuple[int, int]:
    audits = AuditEvent.objects.filter(
        object_type=process.model._meta.label, object_id=str(row.pk), action=process.transition_action
    ).count()
    return audits, row.history.count()


def check_allowed(driver: Driver, name: str, source: str, capacity: str) -> None:
    process = driver.process
    transition = process.by_name[name]
    row = driver.bring(source)
    user = driver.actor(capacity)
    if user is not None:
        assert capacity in process.capacities(user, row), f"the driver's actor does not hold {capacity}"
    audits, history = traces(process, row)
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    result = process.perform(
        row,
        name,
        user=user,
        capacity=None if user else capacity,
        expected_version=row.version,
        **driver.data(transition, row),
    )

    stored = process.model._default_manager.get(pk=row.pk)
    assert stored.state == result.state and stored.state in transition.targets(source)
    assert stored.version == row.version + 1
    assert traces(process, stored) == (audits + 1, history + 1)
    (event,) = AuditEvent.objects.filter(pk__gt=last, action=process.transition_action)
    assert (event.detail["transition"], event.detail["from_state"], event.detail["to_state"]) == (
        name,
        source,
        stored.state,
    )
    assert event.actor == user
    if user is None:
        assert event.actor_username == ACTORLESS_NAMES[capacity]
    newest = stored.history.order_by("-history_id").first()
    assert (newest.state, newest.history_change_reason) == (stored.state, transition.label)
    assert event.detail["history_id"] == newest.history_id


def check_refused(driver: Driver, state: str, name: str) -> None:
    process = driver.process
    transition = process.by_name[name]
    row = driver.bring(state)
    capacity = transition.capacities[0]
    user = driver.actor(capacity)
    before = traces(process, row)
    # Who has a part in the row hears why (its state); someone whose part only begins in a
    # later state (a department before it is assigned the row) only hears "not allowed".
    involved = user is None or process.capacities(user, row)
    refused, message = (Conflict, row.get_state_display()) if involved else (NotAllowed, "没有权限")
    with pytest.raises(refused, match=message):
        process.perform(row, name, user=user, capacity=None if user else capacity, **driver.data(transition, row))
    stored = process.model._default_manager.get(pk=row.pk)
    assert (stored.state, stored.version) == (row.state, row.version)
    assert traces(process, stored) == before


def check_outsider(driver: Driver, state: str) -> None:
    process = driver.process
    row = driver.bring(state)
    outsider = driver.outsider()
    assert process.capacities(outsider, row) == set()
    assert not process.scope(process.model._default_manager.filter(pk=row.pk), outsider).exists()
    before = traces(process, row)
    for transition in process.transitions:
        with pytest.raises(NotAllowed) as refused:
            process.perform(row, transition.name, user=outsider, **driver.data(transition, row))
        assert (
            str(refused.value) == f"您没有权限对该{process.noun}执行“{transition.label}”。"
        )  # not a word on its state
    assert traces(process, row) == before


def check_buttons(driver: Driver, client, state: str, capacities) -> None:
    """One row in `state`, opened by the person acting in each of `capacities` in turn."""
    process = driver.process
    row = driver.bring(state)
    for capacity in capacities:
        user = driver.actor(capacity)
        held = driver.holds_on(capacity, row)
        client.force_login(user)
        response = client.get(reverse(driver.detail_url_name, args=[row.pk]))
        if not held:
            assert response.status_code == 404, capacity  # not theirs: they do not even see it
            continue
        assert response.status_code == 200, capacity
        offered = {action["transition"].name for action in response.context["actions"]}
        expected = {t.name for t in process.transitions if state in t.sources and held & set(t.capacities)}
        assert offered == expected, capacity
        page = response.content.decode()
        for name in expected:
            assert f'data-transition="{name}"' in page


def check_todo(driver: Driver, key: str) -> None:
    process = driver.process
    todo, transition = next((t, tr) for t, tr in process.todo_entries() if t.key == key)
    capacities = todo.capacities or transition.capacities
    people = [driver.actor(capacity) for capacity in capacities if driver.actor(capacity) is not None]
    before = {user.pk: process.todo_counts(user)[key] for user in people}
    row = driver.waiting(todo, transition)
    assert process.model._default_manager.filter(pk=row.pk).filter(todo.condition(transition)).exists(), key
    for user in people:
        assert process.todo_counts(user)[key] == before[user.pk] + 1, (key, user)
    assert process.todo_counts(driver.outsider())[key] == 0
