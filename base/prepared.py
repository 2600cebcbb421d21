"""Querysets compiled once per process, then run again with new values (prepared querysets).

A public page runs the same dozen queries for every visitor, only with other ids and dates;
yet Django builds each queryset and compiles it to SQL again on every request, which costs far
more than the database does (a station page: about 1.7 ms in SQLite, ten times that in Python
building and compiling the SQL). `prepared` compiles a queryset once per shape and keeps the SQL;
each later call puts the new values into the kept parameter list and hands the rows to Django's
own iterable classes, so the result is exactly what iterating the queryset would give: model
instances with their `select_related` objects and annotations, or dicts for `.values()`.

    @prepared
    def current_memberships(station_id, today):
        return Membership.objects.filter(station_id=station_id, start_date__lte=today)...

    rows = current_memberships(station.pk, timezone.localdate())   # a list

How the values are found in the SQL: the builder is called twice with stand-in values
(sentinels: distinctive ints, strings, dates) and compiled each time. The SQL text must be the
same; a parameter that differs between the two must be one of the stand-ins (as is, or as the
database adapts a date or datetime), and is replaced at each call by the value in that place.
A builder that computes with its arguments (`today - timedelta(days=40)`, `name + "%"`) or puts
one into the SQL text (a slice bound, a bool choosing a branch) is refused with an error that
says which argument: pass the computed value as an argument of its own, or make it a shape
argument. Keyword arguments are shape: they are passed as they are and each distinct set of
them is compiled separately (as is each count of a list argument and each argument that is
None). Positional arguments may be int, str, date, datetime or a list/tuple/set of them.

Not for querysets with prefetch_related (run separately) or whose SQL depends on anything but
the arguments and the database (the language, the time of day).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections
from django.db.models import QuerySet

_SCALARS = (int, str, dt.datetime, dt.date)


def _kind(value):
    """What of an argument decides the shape of the SQL: its type, its length, or being None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (*_SCALARS, list, tuple, set, frozenset)):
        raise TypeError(f"prepared: an argument must be int, str, date, datetime or a list of them, not {value!r}")
    if isinstance(value, (list, tuple, set, frozenset)):
        return ("list", tuple(_kind(item) for item in value))
    return type(value).__name__


def _sentinel(value, counter: list[int], round_: int):
    """A stand-in of the same kind as `value`, unlike any real value."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_sentinel(item, counter, round_) for item in value]
    counter[0] += 1
    n = counter[0] + 700 * round_
    if isinstance(value, int):
        # Within every integer field's range (Django treats a value outside it as matching
        # nothing, which would change the SQL), even a small positive one's.
        return 30_000 + n
    if isinstance(value, str):
        return f"⟦prepared-{n}⟧"
    if isinstance(value, dt.datetime):
        return dt.datetime(1111, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
    return dt.date(1111, 1, 1) + dt.timedelta(days=n)


def _flat(values) -> list:
    flat = []
    for value in values:
        if isinstance(value, (list, tuple, set, frozenset)):
            flat.extend(value)
        elif value is not None:
            flat.append(value)
    return flat


@dataclass(frozen=True)
class _Slot:
    position: int  # in the parameter list
    argument: int  # in the flattened arguments
    adapt: Callable | None  # the database's adaptation of a date or datetime, or None


@dataclass
class _Plan:
    queryset: QuerySet | None = field(repr=False)  # None: the arguments make it empty (IN [])
    compiler: object = field(default=None, repr=False)
    sql: str = ""
    params: tuple = ()
    slots: tuple[_Slot, ...] = ()
    converters: weakref.WeakKeyDictionary = field(default_factory=weakref.WeakKeyDictionary)


def _fields(plan: _Plan) -> list:
    compiler = plan.compiler
    return [selected[0] for selected in compiler.select[0 : compiler.col_count]]


class _PreparedQuery:
    """What Django's iterables ask of `queryset.query`: the kept query's attributes, and a
    compiler that answers with the kept SQL and this call's parameters."""

    def __init__(self, plan: _Plan, params: tuple, using: str):
        self._plan, self._params, self._using = plan, params, using

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        plan = self._plan
        compiler = copy.copy(plan.compiler)
        compiler.connection = connection = connections[using or self._using]
        sql, params = plan.sql, self._params
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        # The columns' converters are the same every time, for each connection (thread).
        converters = plan.converters.get(connection)
        if converters is None:
            converters = plan.converters[connection] = compiler.get_converters(_fields(plan))
        compiler.get_converters = lambda expressions: converters
        return compiler

    def __getattr__(self, name):
        return getattr(self._plan.queryset.query, name)


class _PreparedQuerySet:
    """What Django's iterables ask of a queryset."""

    def __init__(self, plan: _Plan, params: tuple):
        queryset = plan.queryset
        self.model, self.db = queryset.model, queryset.db
        self._known_related_objects = {}
        self._fields = queryset._fields
        self.query = _PreparedQuery(plan, params, self.db)


class prepared:  # noqa: N801 (used as a decorator)
    """A function returning a queryset, made a function returning its rows, compiled once per
    shape (see the module's docstring)."""

    # Shapes kept per function: a list's length is a shape, and a request's path decides some
    # (the routing query's), so a stranger could otherwise make a process keep any number.
    MAX_SHAPES = 64

    def __init__(self, build: Callable[..., QuerySet]):
        self.build = build
        self._plans: dict = {}
        functools.update_wrapper(self, build)

    def __call__(self, *values, **shape) -> list:
        key = (tuple(_kind(value) for value in values), tuple(sorted(shape.items())))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._prepare(values, shape)
            if len(self._plans) < self.MAX_SHAPES:
                self._plans[key] = plan
        if plan.queryset is None:
            return []
        flat = _flat(values)
        params = list(plan.params)
        for slot in plan.slots:
            value = flat[slot.argument]
            params[slot.position] = slot.adapt(value) if slot.adapt else value
        return list(plan.queryset._iterable_class(_PreparedQuerySet(plan, tuple(params))))

    def _compile(self, values, shape):
        queryset = self.build(*values, **shape)
        if not isinstance(queryset, QuerySet):
            raise ImproperlyConfigured(f"{self.__qualname__} must return a QuerySet, not {type(queryset).__name__}.")
        if queryset._prefetch_related_lookups:
            raise ImproperlyConfigured(f"{self.__qualname__}: a prepared queryset cannot prefetch_related.")
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return queryset, None, None, None
        return queryset, compiler, sql, tuple(params)

    def _prepare(self, values, shape) -> _Plan:
        rounds = []
        for round_ in (1, 2):
            counter = [0]
            stand_ins = [_sentinel(value, counter, round_) for value in values]
            rounds.append((_flat(stand_ins), self._compile(stand_ins, shape)))
        (first_args, (queryset, compiler, sql, params)), (second_args, (_, _, sql_2, params_2)) = rounds
        if sql is None or sql_2 is None:
            if sql is not None or sql_2 is not None:
                raise ImproperlyConfigured(f"{self.__qualname__}: the arguments' values decide whether it is empty.")
            return _Plan(queryset=None)
        if sql != sql_2 or len(params) != len(params_2):
            raise ImproperlyConfigured(
                f"{self.__qualname__}: an argument's value changes the SQL text (a slice bound, a choice of "
                "branch?); make it a keyword (shape) argument."
            )
        connection = connections[queryset.db]
        adapters = {
            dt.datetime: connection.ops.adapt_datetimefield_value,
            dt.date: connection.ops.adapt_datefield_value,
        }
        slots = []
        for position, (one, two) in enumerate(zip(params, params_2, strict=True)):
            if one == two:
                continue  # a constant of the query
            slot = self._find_slot(position, one, two, first_args, second_args, adapters)
            if slot is None:
                raise ImproperlyConfigured(
                    f"{self.__qualname__}: parameter {position} ({one!r}) is computed from an argument, not the "
                    "argument itself; pass the computed value as an argument of its own."
                )
            slots.append(slot)
        return _Plan(queryset=queryset, compiler=compiler, sql=sql, params=params, slots=tuple(slots))

    @staticmethod
    def _find_slot(position, one, two, first_args, second_args, adapters) -> _Slot | None:
        for argument, (stand_in, stand_in_2) in enumerate(zip(first_args, second_args, strict=True)):
            if stand_in == one and stand_in_2 == two:
                return _Slot(position, argument, None)
            adapt = adapters.get(type(stand_in))
            if adapt is not None and adapt(stand_in) == one and adapt(stand_in_2) == two:
                return _Slot(position, argument, adapt)
        return None
