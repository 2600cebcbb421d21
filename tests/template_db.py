"""One migrated test database per run, copied for each pytest-xdist worker.

Building the test database runs every migration (~290, most of the time spent by Django
rendering model states), about a minute of CPU. Each xdist worker used to build its own, all
at the same time on the same cores. Now the first worker to need a database builds it once
(with the same `create_test_db` as before, data migrations and serialized contents included),
and every worker starts from a copy of it:

- PostgreSQL: the first worker migrates a template database (`<test name>_template`) and each
  worker creates its own (`test_<name>_gwN`, as before) with `CREATE DATABASE ... TEMPLATE`.
- SQLite: the test database stays in memory, as before; the first worker writes its migrated
  database to a file with SQLite's backup API, and the others read it into their own.

The serialized contents that `serialized_rollback` tests restore after each flush are the
builder's, handed to the other workers in a file next to the copy. The controller (the xdist
process that runs no tests) makes the directory the workers share and removes it, and the
template database, at the end of the run.

Without xdist, with --reuse-db, or with more than the default database, pytest-django's own
set-up runs unchanged.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import tempfile
from contextlib import contextmanager
from pathlib import Path

from pytest_django.plugin import blocking_manager_key

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import setup_databases, teardown_databases

SHARED_DIR_VARIABLE = "LIANLUO_TEST_DB_TEMPLATE_DIR"
INFO = "template.json"


# --- the controller ---------------------------------------------------------------------------


def controller_configure(config) -> None:
    """In the xdist controller, before the workers start: the directory they share."""
    if hasattr(config, "workerinput") or not config.getoption("numprocesses", None):
        return
    os.environ[SHARED_DIR_VARIABLE] = tempfile.mkdtemp(prefix="lianluo-test-db-")


def controller_unconfigure(config) -> None:
    """In the controller, after the workers have dropped their databases: drop the template."""
    if hasattr(config, "workerinput"):
        return
    directory = os.environ.pop(SHARED_DIR_VARIABLE, None)
    if not directory:
        return
    info_file = Path(directory) / INFO
    try:
        if info_file.exists():
            info = json.loads(info_file.read_text(encoding="utf-8"))
            if info.get("postgres_template"):
                connection = connections[DEFAULT_DB_ALIAS]
                with config.stash[blocking_manager_key].unblock(), connection._nodb_cursor() as cursor:
                    cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(info['postgres_template'])}")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --- a worker ---------------------------------------------------------------------------------


def shared_dir(config, aliases, keepdb: bool) -> Path | None:
    """The directory the workers share, if this worker should copy the database from it."""
    directory = os.environ.get(SHARED_DIR_VARIABLE)
    if not directory or not hasattr(config, "workerinput") or keepdb:
        return None
    if set(aliases) != {DEFAULT_DB_ALIAS} or len(settings.DATABASES) != 1:
        return None
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    if vendor not in ("postgresql", "sqlite"):
        return None
    return Path(directory)


@contextmanager
def _locked(directory: Path):
    with open(directory / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def setup_from_template(directory: Path, verbosity: int, serialize: bool) -> list:
    """This worker's test database, copied from the run's template (built here if first).

    Returns the configuration `django.test.utils.teardown_databases` expects.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    old_name = connection.settings_dict["NAME"]
    with _locked(directory):
        info_file = directory / INFO
        if info_file.exists():
            info = json.loads(info_file.read_text(encoding="utf-8"))
            if connection.vendor == "postgresql":
                _postgres_clone(connection, info["postgres_template"], verbosity)
            else:
                _sqlite_restore(connection, directory / info["sqlite_file"])
        elif connection.vendor == "postgresql":
            info = _postgres_build(connection, info_file, verbosity, serialize)
            _postgres_clone(connection, info["postgres_template"], verbosity)
        else:
            # The builder keeps the in-memory database it migrated; the others copy it.
            setup_databases(
                verbosity=verbosity,
                interactive=False,
                aliases={DEFAULT_DB_ALIAS},
                serialized_aliases={DEFAULT_DB_ALIAS} if serialize else set(),
            )
            target = sqlite3.connect(directory / "template.sqlite3")
            try:
                connection.connection.backup(target)
            finally:
                target.close()
            info = {"sqlite_file": "template.sqlite3"}
            if serialize:
                info["serialized"] = connection._test_serialized_contents
            info_file.write_text(json.dumps(info), encoding="utf-8")
            return [(connection, old_name, True)]
        if "serialized" in info:
            connection._test_serialized_contents = info["serialized"]
        elif serialize:
            # Not serialized by the builder (its own tests needed no serialized rollback).
            connection._test_serialized_contents = connection.creation.serialize_db_to_string()
    return [(connection, old_name, True)]


def teardown(db_cfg: list, verbosity: int) -> None:
    """Drop this worker's copy. On PostgreSQL a live server's request thread may still hold a
    session on it (kept open by CONN_MAX_AGE while the client keeps its HTTP connection), which
    would make DROP DATABASE fail and leave the database behind: end such sessions first."""
    for connection, _old_name, _destroy in db_cfg:
        if connection.vendor == "postgresql":
            name = connection.settings_dict["NAME"]
            connection.close()
            with connection._nodb_cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    [name],
                )
    teardown_databases(db_cfg, verbosity=verbosity)


def _postgres_build(connection, info_file: Path, verbosity: int, serialize: bool) -> dict:
    """Migrate the template database; the worker's own test name is kept for its copy."""
    old_name = connection.settings_dict["NAME"]
    test_settings = connection.settings_dict["TEST"]
    worker_test_name = test_settings.get("NAME")
    base = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = connection.creation._get_test_db_name().removesuffix(f"_{base}") + "_template"
    test_settings["NAME"] = name
    try:
        connection.creation.create_test_db(verbosity=verbosity, autoclobber=True, serialize=serialize)
    finally:
        test_settings["NAME"] = worker_test_name
    serialized = getattr(connection, "_test_serialized_contents", None)
    # A database with sessions open on it cannot be a template.
    connection.close()
    connection.close_pool()
    info = {"postgres_template": name}
    if serialize:
        info["serialized"] = serialized
    info_file.write_text(json.dumps(info), encoding="utf-8")
    settings.DATABASES[connection.alias]["NAME"] = old_name
    connection.settings_dict["NAME"] = old_name
    return info


def _postgres_clone(connection, template: str, verbosity: int) -> None:
    target = connection.creation._get_test_db_name()
    quote = connection.ops.quote_name
    if verbosity >= 1:
        connection.creation.log(f"Copying test database {template} to {target}...")
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(target)}")
        cursor.execute(f"CREATE DATABASE {quote(target)} TEMPLATE {quote(template)}")
    _use(connection, target)


def _sqlite_restore(connection, source_file: Path) -> None:
    _use(connection, connection.creation._get_test_db_name())
    source = sqlite3.connect(source_file)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _use(connection, name: str) -> None:
    """Point the connection at the test database, as `create_test_db` does."""
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name
    connection.ensure_connection()
