"""The shared district of `tree` and `two_streets`, built once and reused by the tests that follow.

Most tests start from the same small district (`tree`, or `two_streets` with its roles synced):
building it through the real page and role code takes about a second, longer than most tests.
So it is built once, inside a transaction that stays open, and each test runs in a savepoint
inside that transaction (pytest-django's TestCase atomics nest in it), as Django's
`TestCase.setUpTestData` does for a class. A test's own writes are rolled back after it, so
the next test that needs the same district finds it exactly as built; a test that needs
something else (no district, a district built differently, a real transaction) rolls the
shared one back first, so it finds the database as it would have without the sharing.

The levels stack: `tree` is one savepoint, `two_streets` another on top of it. Each test gets
its own fresh copies of the objects (read again from the database), so what one test changes
in memory never leaks into the next.

A test shares the district only if everything set up before `tree` is harmless (pytest-django
plumbing, settings, the client, parameters...): a fixture that wrote to the database before the
district was built would have changed how it was built, and then the test builds its own.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field

import pytest

from django.db import transaction


@dataclass(frozen=True)
class Spec:
    """A shared level. The bottom level's `build()` returns the values of the fixtures it stands
    for; a level above returns its own fixture's value from `build(values below it)`."""

    name: str
    base: str | None
    build: object  # callable
    fixture: object  # the pytest fixture function that hands it out (not an override of it)


SPECS: dict[str, Spec] = {}


def chain(name: str) -> list[str]:
    """The levels from the bottom up to `name`."""
    names = []
    while name is not None:
        names.insert(0, name)
        name = SPECS[name].base
    return names


# Fixtures that may be set up before the district without changing it.
HARMLESS = {
    "request",
    "db",
    "home",
    "street",
    "tree",
    "settings",
    "monkeypatch",
    "tmp_path",
    "tmp_path_factory",
    "client",
    "rf",
    "capsys",
    "capfd",
    "caplog",
    "recwarn",
    "mailoutbox",
    "django_user_model",
    "django_username_field",
    "django_capture_on_commit_callbacks",
    "django_assert_num_queries",
    "django_assert_max_num_queries",
    "fixed_today",
    "_media_root",
    "_empty_cache",
    "_live_server_helper",
    "_dj_autoclear_mailbox",
    "_template_string_if_invalid_marker",
}


@dataclass
class Level:
    name: str
    atomic: transaction.Atomic
    objects: dict = field(default_factory=dict)


class SharedBase:
    def __init__(self):
        self.levels: list[Level] = []
        self.serving: tuple[object, str] | None = None  # (test item, level) of the running test
        self.copies: tuple[object, dict] | None = None

    # --- which level a test may use ------------------------------------------------------

    @staticmethod
    def _setup_order(item) -> list[str]:
        """Fixture names in the order pytest sets them up (dependencies first)."""
        defs = item._fixtureinfo.name2fixturedefs
        order: list[str] = []
        seen: set[str] = set()

        def visit(name):
            if name in seen:
                return
            seen.add(name)
            fixturedefs = defs.get(name)
            if fixturedefs:
                for dep in fixturedefs[-1].argnames:
                    visit(dep)
            order.append(name)

        for name in item.fixturenames:
            visit(name)
        return order

    @classmethod
    def wanted_level(cls, item) -> str | None:
        """The deepest shared level whose fixture the test uses, if it may share it."""
        if os.environ.get("LIANLUO_SHARED_FIXTURES") == "0":  # to compare with every test building its own
            return None
        defs = item._fixtureinfo.name2fixturedefs
        used = [
            name
            for name, spec in SPECS.items()
            if name in item.fixturenames
            and len(defs.get(name, ())) == 1  # not overridden by a test module
            and defs[name][0].func is spec.fixture
        ]
        if not used:
            return None
        wanted = max(used, key=lambda name: len(chain(name)))
        levels = chain(wanted)
        if not set(used) <= set(levels):
            return None  # two levels that do not stack
        # Everything set up before the last level must be harmless or a level below it.
        params = set(getattr(getattr(item, "callspec", None), "params", {}))
        for name in cls._setup_order(item):
            if name == wanted:
                return wanted
            if name in levels:
                continue
            fixturedef = defs[name][-1] if defs.get(name) else None
            if fixturedef is not None and fixturedef.scope != "function":
                continue  # set up before any test's transaction, shared or not
            if name in HARMLESS or name.startswith("_django") or name.startswith("django_db"):
                continue
            if name in params and (fixturedef is None or fixturedef.func.__name__ == "get_direct_param_fixture_func"):
                continue  # a parameter of the test itself
            return None
        return None

    # --- the open transaction ---------------------------------------------------------------

    def _drop_to(self, depth: int) -> None:
        while len(self.levels) > depth:
            level = self.levels.pop()
            transaction.set_rollback(True)
            level.atomic.__exit__(None, None, None)

    def prepare(self, item, wanted: str | None, blocker) -> None:
        """Before the test's own transaction opens: leave exactly the levels it shares open."""
        self.blocker = blocker
        self.serving = None
        self.copies = None
        target = chain(wanted) if wanted else []
        names = [level.name for level in self.levels]
        keep = 0
        while keep < min(len(names), len(target)) and names[keep] == target[keep]:
            keep += 1
        with blocker.unblock():
            self._drop_to(keep)
            while len(self.levels) < len(target):
                name = target[len(self.levels)]
                atomic = transaction.atomic()
                atomic.__enter__()
                atomic._from_testcase = True  # durable=True blocks inside a test still work
                self.levels.append(Level(name, atomic))
                try:
                    self.levels[-1].objects = self._build(name)
                except BaseException:
                    self._drop_to(0)
                    raise
        if wanted:
            self.serving = (item, wanted)

    def _build(self, name) -> dict:
        """The same calls, in the same order, as the fixtures make for a test of its own."""
        spec = SPECS[name]
        if spec.base is None:
            return spec.build()
        below: dict = {}
        for level in self.levels[:-1]:
            below.update(level.objects)
        return {name: spec.build(below)}

    def finish(self) -> None:
        """Before the test database goes: roll the shared district back."""
        self.serving = None
        self.copies = None
        if self.levels:
            with self.blocker.unblock():
                self._drop_to(0)

    # --- what the fixtures hand out -------------------------------------------------------

    def shared(self, request, name: str):
        """The test's copy of fixture `name` if the district is shared with it, else None."""
        if self.serving is None or self.serving[0] is not request.node:
            return None
        if self.copies is None or self.copies[0] is not request.node:
            self.copies = (request.node, self._fresh_copies())
        return self.copies[1][name]

    def _fresh_copies(self) -> dict:
        memo: dict[int, object] = {}

        def fresh(obj):
            if id(obj) not in memo:
                memo[id(obj)] = type(obj)._default_manager.get(pk=obj.pk)
            return memo[id(obj)]

        built: dict = {}
        for level in self.levels:
            built.update(level.objects)
        out = {}
        for key, value in built.items():
            out[key] = {k: fresh(v) for k, v in value.items()} if isinstance(value, dict) else fresh(value)
        return out


STATE = SharedBase()


def shared_fixture(base: str):
    """A fixture built once on top of the shared level `base` and shared like it.

    Its arguments must be fixtures of the levels below it (`tree`, `street`, ...); it returns
    a model object or a dict of them. Use it only for data no test depends on being built
    anew: files (images, media) are not shared, as each test has its own MEDIA_ROOT.
    """

    def decorate(func):
        argnames = list(inspect.signature(func).parameters)

        def fixture(request, **kwargs):
            found = STATE.shared(request, func.__name__)
            return found if found is not None else func(**kwargs)

        fixture.__name__ = func.__name__
        fixture.__doc__ = func.__doc__
        fixture.__signature__ = inspect.Signature(
            [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in ["request", *argnames]]
        )
        SPECS[func.__name__] = Spec(
            func.__name__, base, lambda below: func(**{name: below[name] for name in argnames}), fixture
        )
        return pytest.fixture(fixture, name=func.__name__)

    return decorate
