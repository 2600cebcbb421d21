"""One mechanism for every audited process: opinions (群众意见), station staff requests
(站点工作人员申请), and the processes still to come.

A process is declared once, as a `Process`: its model, its states, the capacities a person
can hold towards one row (each a `Q` built from their roles), and its transitions. Each
`Transition` declares its name, label, sources, target (or a `Branch` for the few that
depend on the outcome), the capacities that may perform it, what it does to the row, its
form, its to-do entries and its notification. Everything else is derived from that table:

- `perform()` runs a transition: in one transaction it locks the row, checks who is acting
  (before the state, so someone with no part in the row learns nothing about it), checks
  the state, runs the effects, claims the row's version (of two people acting at once,
  exactly one wins and the other gets `Conflict`), saves once (one django-simple-history
  row), writes one audit record naming that history row, and notifies after the commit;
- `capacity_filters(user)` gives one `Q` per capacity; from it come the check for one row
  (`capacities()`, one query), the rows a person may see (`scope()`), the buttons
  (`available()`) and the to-do counts (`todo_counts()`, one query);
- the admin's transition forms, buttons, to-do panel and timeline (`workflows.process_admin`)
  and the generated tests (`tests/process_contract.py`).

A process's model has a `state` field with choices, a `version` integer and a
django-simple-history `history`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django import forms
from django.db import models, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from base import audit
from base.roles import Roles, roles_of

EVERYTHING = Q()  # a condition every row meets
NOTHING = Q(pk__isnull=True)  # a condition no row meets

# Capacities that act without an account: the sweeps, and a citizen holding a signed link.
SYSTEM = "system"
CITIZEN = "citizen"
ACTORLESS_NAMES = {CITIZEN: "群众", SYSTEM: "系统"}


class TransitionError(Exception):
    """Refused, with a message in Chinese for the person who tried."""


class Conflict(TransitionError):
    """Someone else moved the row first, or it is not in a state that allows this."""


class NotAllowed(TransitionError):
    """The actor may not do this to this row."""


@dataclass(frozen=True)
class Branch:
    """A target chosen from the row once the transition's effects have run."""

    choose: Callable[[models.Model], str]
    among: tuple[str, ...]


@dataclass(frozen=True)
class Todo:
    """An entry of "我的待办": rows waiting for the capacities that can act on them.

    By default the rows are those in the transition's source states and the capacities are
    the transition's; `state` narrows to one source, `when` gives another condition (a `Q`,
    or a function returning one, for conditions that depend on today's date).
    """

    key: str
    label: str
    state: str = ""
    when: Q | Callable[[], Q] | None = None
    capacities: tuple[str, ...] = ()
    query: str = ""  # the listing's filter for these rows, e.g. "state=submitted"

    def condition(self, transition: Transition | None) -> Q:
        if self.when is not None:
            return self.when() if callable(self.when) else self.when
        if self.state:
            return Q(state=self.state)
        return Q(state__in=transition.sources)

    def link_query(self) -> str:
        return self.query or (f"state={self.state}" if self.state else "")


# How a transition stands among the buttons: the process's next step comes first and stands
# out, side steps (上报, 督办, 申请公开) follow, refusals (不予受理, 标记重复) come last and look apart.
MAIN, SIDE, REFUSAL = "main", "side", "refusal"
KINDS = (MAIN, SIDE, REFUSAL)


@dataclass(frozen=True)
class Transition:
    """One step of a process. `effects(row, *, user, note, held, **data)` changes the row
    (not its state) and returns extra detail for the audit record, or raises
    TransitionError with the reason. `kind` places its button (MAIN, SIDE or REFUSAL)."""

    name: str
    label: str
    sources: tuple[str, ...]
    target: str | Branch | None  # None: the state stays (a side step such as 督办)
    capacities: tuple[str, ...]
    effects: Callable[..., dict | None] | None = None
    form: type[forms.Form] | None = None
    todos: tuple[Todo, ...] = ()
    notify: Callable[[models.Model], None] | None = None
    kind: str = MAIN

    @property
    def form_class(self) -> type[forms.Form]:
        return self.form or TransitionForm

    def targets(self, source: str) -> tuple[str, ...]:
        """The states a row in `source` may end in."""
        if self.target is None:
            return (source,)
        if isinstance(self.target, Branch):
            return self.target.among
        return (self.target,)


class TransitionForm(forms.Form):
    """The form of one transition. Subclasses add the transition's fields, give initial
    values from the row in `initial_for`, and turn the cleaned data into `perform()`'s
    keyword arguments in `perform_kwargs` (which may raise TransitionError)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, data=None, files=None, *, process, transition, row, user):
        self.process, self.transition, self.row, self.user = process, transition, row, user
        super().__init__(data, files, initial={"version": row.version, **self.initial_for(row)}, prefix=transition.name)

    def initial_for(self, row) -> dict:
        return {}

    def perform_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


@dataclass(frozen=True)
class Deadline:
    """When a row is overdue: its `field` date has passed while it is in one of `states`.
    The one definition for listings, to-dos, sweeps and the row's own flag."""

    field: str
    states: tuple[str, ...]

    def overdue_q(self, today: dt.date | None = None) -> Q:
        today = today or timezone.localdate()
        return Q(state__in=self.states, **{f"{self.field}__lt": today})

    def due_q(self, start: dt.date, end: dt.date) -> Q:
        """Rows still open whose deadline falls between `start` and `end` (inclusive)."""
        return Q(state__in=self.states, **{f"{self.field}__gte": start, f"{self.field}__lte": end})

    def is_overdue(self, row, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        deadline = getattr(row, self.field)
        return bool(deadline and row.state in self.states and today > deadline)


@dataclass
class Process:
    """A declared process. See the module's docstring."""

    model: type[models.Model]
    noun: str  # what a row is called in messages: "意见" → "该意见当前状态为…"
    capacities_of: Callable[[Roles], dict[str, Q]]  # capacity → the rows a person holds it on
    transitions: Iterable[Transition]
    transition_action: str  # the registered audit action of every transition
    created_action: str = ""  # the registered audit action of a row's creation, if audited
    created_summary: str = "提交"  # how the timeline names the creation
    on_created: Callable[[models.Model], None] | None = None  # the notification of a new row
    todos: tuple[Todo, ...] = ()  # entries not tied to one transition (such as 已超期)
    lock_related: tuple[str, ...] = ()  # select_related when the row is locked
    by_name: dict[str, Transition] = field(init=False)

    def __post_init__(self):
        declared, self.transitions, self.by_name = tuple(self.transitions), (), {}
        self.extend(*declared)
        for todo in self.todos:
            if not (todo.state or todo.when is not None) or not todo.capacities:
                raise ValueError(f"{self.model.__name__} to-do {todo.key}: give its state or condition and capacities")
        _BY_ACTION[self.transition_action] = self

    def extend(self, *transitions: Transition) -> None:
        """Add transitions to the declaration: a process's later stages may be declared in a
        module of their own (代表建议: drafting, then assignment, then replies), each module
        adding its steps when it is imported (the app's ready() imports them all)."""
        states = {value for value, _label in self.model._meta.get_field("state").choices}
        for t in transitions:
            if t.name in self.by_name:
                raise ValueError(f"{self.model.__name__}.{t.name}: declared twice")
            unknown = (set(t.sources) | set(t.targets(t.sources[0]))) - states
            if unknown:
                raise ValueError(f"{self.model.__name__}.{t.name}: unknown states {sorted(unknown)}")
            if t.kind not in KINDS:
                raise ValueError(f"{self.model.__name__}.{t.name}: kind must be one of {KINDS}")
        self.transitions = (*self.transitions, *transitions)
        self.by_name = {t.name: t for t in self.transitions}

    # --- Who holds which capacity ------------------------------------------------------------

    def capacity_filters(self, user) -> dict[str, Q]:
        """{capacity: the rows on which `user` holds it} (actorless capacities excluded)."""
        return self._filters(roles_of(user))

    def _filters(self, roles: Roles) -> dict[str, Q]:
        return self.capacities_of(roles) if roles.active else {}

    def capacities(self, user, row) -> set[str]:
        """The capacities `user` holds on `row`: one query, from the same filters as every
        listing and to-do count. Capacities share alternatives (a street committee's rows
        are both run and supervised by it), so each alternative is asked once."""
        held, terms, asks = set(), [], {}
        for capacity, q in self.capacity_filters(user).items():
            if not q:  # EVERYTHING
                held.add(capacity)
                continue
            asks[capacity] = []
            for term in _alternatives(q):
                if term != NOTHING:
                    if term not in terms:
                        terms.append(term)
                    asks[capacity].append(terms.index(term))
        if terms:
            met = self.model._default_manager.filter(pk=row.pk).aggregate(
                **{f"term_{i}": Count("pk", filter=term) for i, term in enumerate(terms)}
            )
            held |= {capacity for capacity, found in asks.items() if any(met[f"term_{i}"] for i in found)}
        return held

    def scope(self, queryset, user):
        """The rows a person may see: every row for district-wide roles (they read the whole
        district), otherwise those on which they hold some capacity."""
        roles = roles_of(user)
        return self._scoped(queryset, roles, self._filters(roles))

    def _scoped(self, queryset, roles: Roles, filters: dict[str, Q]):
        if roles.district_wide:
            return queryset
        terms = any_of(filters.values())
        return queryset.filter(terms) if terms != NOTHING else queryset.none()

    def available(self, user, row, held: set[str] | None = None) -> list[Transition]:
        """The transitions `user` could perform on `row` now (its buttons); `held`, when the
        caller already knows the capacities, saves the query."""
        held = self.capacities(user, row) if held is None else held
        return [t for t in self.transitions if row.state in t.sources and held & set(t.capacities)]

    # --- To-dos --------------------------------------------------------------------------------

    def todo_entries(self) -> list[tuple[Todo, Transition | None]]:
        """Every to-do, in the order of the declaration: the transitions' then the process's."""
        return [(todo, t) for t in self.transitions for todo in t.todos] + [(todo, None) for todo in self.todos]

    def todo_counts(self, user) -> dict[str, int]:
        """{to-do key: count}: only rows this person may act on, in one query."""
        roles = roles_of(user)
        filters = self._filters(roles)
        aggregates = {}
        for todo, transition in self.todo_entries():
            capacities = todo.capacities or transition.capacities
            mine = any_of(filters.get(capacity, NOTHING) for capacity in capacities)
            aggregates[todo.key] = Count("pk", filter=todo.condition(transition) & mine)
        return self._scoped(self.model._default_manager.all(), roles, filters).aggregate(**aggregates)

    # --- A new row and its transitions ----------------------------------------------------------

    def created(self, row, *, user=None, username: str = "", **detail) -> None:
        """Record a row just created (in the caller's transaction): one audit record, and its
        notification once the transaction commits. `username` names an actor without an
        account (a citizen)."""
        if self.created_action:
            audit.record(self.created_action, actor=user, obj=row, username="" if user else username, **detail)
        if self.on_created is not None:
            transaction.on_commit(lambda: self.on_created(row))

    def perform(
        self,
        row: models.Model | int,
        name: str,
        *,
        user=None,
        capacity: str | None = None,
        expected_version: int | None = None,
        note: str = "",
        username: str = "",
        **data,
    ):
        """Run transition `name` on the row, or raise a TransitionError saying why not.

        `user` is the staff member acting; a citizen (signed link) or a sweep acts with
        `capacity=CITIZEN` / `capacity=SYSTEM` and no user (`username` then names them more
        precisely in the audit record, e.g. a deputy rating their 直通车 item). `expected_version` is the version
        the actor saw: if someone changed the row since, the attempt is a Conflict.
        """
        transition = self.by_name.get(name)
        if transition is None:
            raise TransitionError("没有这个操作。")
        model = self.model
        pk = row.pk if isinstance(row, model) else row
        refused = f"您没有权限对该{self.noun}执行“{transition.label}”。"
        with transaction.atomic():
            rows = model._default_manager.select_for_update(of=("self",)).select_related(*self.lock_related)
            current = rows.get(pk=pk)
            held = {capacity} if capacity in ACTORLESS_NAMES and user is None else self.capacities(user, current)
            if not held:  # someone with no part in the row learns nothing about it, not even its state
                raise NotAllowed(refused)
            if expected_version is not None and current.version != expected_version:
                raise Conflict(f"该{self.noun}刚被他人处理（当前状态：{current.get_state_display()}），请刷新后再试。")
            if current.state not in transition.sources:
                raise Conflict(f"该{self.noun}当前状态为“{current.get_state_display()}”，不能{transition.label}。")
            if not held & set(transition.capacities):
                raise NotAllowed(refused)
            before = current.state
            extra = transition.effects(current, user=user, note=note, held=held, **data) if transition.effects else None
            if isinstance(transition.target, Branch):
                current.state = transition.target.choose(current)
            elif transition.target is not None:
                current.state = transition.target
            # Claim the version: with the row lock this is redundant, without one it still
            # guarantees that of two concurrent attempts exactly one saves.
            claimed = model._default_manager.filter(pk=pk, version=current.version).update(version=F("version") + 1)
            if not claimed:
                raise Conflict(f"该{self.noun}刚被他人处理，请刷新后再试。")
            current.version += 1
            current._change_reason = transition.label
            if user is not None:
                current._history_user = user
            current.save()
            # The history row this save wrote (the row is locked, so it is the newest): the
            # audit record names it, and the timeline pairs the two by it.
            history_id = current.history.order_by("-history_id").values_list("history_id", flat=True).first()
            audit.record(
                self.transition_action,
                actor=user,
                obj=current,
                username="" if user else (username or ACTORLESS_NAMES.get(capacity, "")),
                transition=name,
                from_state=before,
                to_state=current.state,
                note=note,
                history_id=history_id,
                **(extra or {}),
            )
            if transition.notify is not None:
                transaction.on_commit(lambda: transition.notify(current))
        return current


_BY_ACTION: dict[str, Process] = {}


def process_for_action(action: str) -> Process | None:
    """The declared process whose transitions are recorded with this audit action."""
    return _BY_ACTION.get(action)


def any_of(conditions: Iterable[Q]) -> Q:
    """Rows meeting any of the conditions, each alternative written once: capacities share
    their terms (a street committee both runs and supervises its street's rows), and the
    scoped listing's query stays one branch per kind of grant."""
    terms: list[Q] = []
    for condition in conditions:
        if not condition:
            return EVERYTHING
        for term in _alternatives(condition):
            if term != NOTHING and term not in terms:
                terms.append(term)
    return reduce(or_, terms) if terms else NOTHING


def _alternatives(condition: Q):
    if condition.connector == Q.OR and not condition.negated:
        for child in condition.children:
            yield from _alternatives(child) if isinstance(child, Q) else [Q(child)]
    else:
        yield condition


def required(value, message: str):
    """The value, stripped if text; TransitionError(message) when it is empty."""
    if value in (None, "") or (isinstance(value, str) and not value.strip()):
        raise TransitionError(message)
    return value.strip() if isinstance(value, str) else value
