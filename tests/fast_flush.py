"""A cheaper flush of the PostgreSQL test database after each transactional test.

Django empties the database after a transactional test (the browser tests, the live-server and
concurrency tests) with one TRUNCATE of every table: about 300 tables, 1,100 relations with
their indexes, each given a new file, whether it held a row or not. Most hold none. Here the
tables that hold rows are found with one query and emptied with DELETE, with triggers off for
the transaction (session_replication_role = replica: no foreign-key checks, which are pointless
when every table ends up empty, and no audit trigger refusing the DELETE). The database ends up
as TRUNCATE leaves it: every table empty, sequences untouched (Django's flush does not reset
them either unless asked).

Changing session_replication_role needs a superuser (the CI's `postgres`); for any other role,
and when sequences are to be reset or the flush may cascade, Django's own flush runs.
"""

from __future__ import annotations

from django.db.backends.postgresql.operations import DatabaseOperations

_django_sql_flush = DatabaseOperations.sql_flush


def _may_replicate(connection) -> bool:
    known = getattr(connection, "_lianluo_may_replicate", None)
    if known is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
        known = connection._lianluo_may_replicate = bool(row and row[0])
    return known


def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    if reset_sequences or allow_cascade or not tables or not _may_replicate(self.connection):
        return _django_sql_flush(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
    quote = self.quote_name
    # The tables are the database's own (introspected by flush), quoted.
    probe = " UNION ALL ".join(
        f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(table)})"  # noqa: S608
        for table in tables
    )
    with self.connection.cursor() as cursor:
        cursor.execute(probe, list(tables))
        filled = [row[0] for row in cursor.fetchall()]
    if not filled:
        return []
    return [
        "SET LOCAL session_replication_role = replica",
        *(f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(quote(table))}" for table in filled),
        "SET LOCAL session_replication_role = DEFAULT",
    ]


def install() -> None:
    DatabaseOperations.sql_flush = sql_flush
