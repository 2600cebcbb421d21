"""Small related rows read inside another query, as a JSON array (one query, several sections).

A station page shows several short lists that each used to cost a query of their own: the
renditions of the deputies' photos, the facilities, the duty deputies of each reception rule.
`json_rows` turns such a list into a correlated subquery whose value is a JSON array of
objects, annotated on the row that owns the list (SQLite's JSON_GROUP_ARRAY, PostgreSQL's
JSONB_AGG); `instances` turns the objects back into unsaved-looking model instances with the
field types restored (JSON has no dates or times).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Aggregate, Func, JSONField, OuterRef, Subquery, TextField, Value
from django.db.models.functions import Cast


class JSONObject(Func):
    """JSON_OBJECT('key', value, …) (SQLite) or JSONB_BUILD_OBJECT (PostgreSQL).

    Django's own JSONObject asks SQLite whether it has JSON functions with a statement in a
    transaction the first time; under a concurrent writer that check fails and the process
    would believe it has none. SQLite has had them built in since 3.38, as Django requires."""

    function = "JSON_OBJECT"
    output_field = JSONField()

    def __init__(self, **fields):
        pairs = []
        for key, value in fields.items():
            pairs.extend((Value(key), value))
        super().__init__(*pairs)

    def as_postgresql(self, compiler, connection, **extra_context):
        clone = self.copy()
        clone.set_source_expressions(
            [
                Cast(expression, TextField()) if index % 2 == 0 else expression
                for index, expression in enumerate(clone.get_source_expressions())
            ]
        )
        return super(JSONObject, clone).as_sql(compiler, connection, function="JSONB_BUILD_OBJECT", **extra_context)


class JSONGroupArray(Aggregate):
    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        # jsonb (not json): Django's PostgreSQL backend hands jsonb to JSONField as text.
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


def json_rows(queryset: models.QuerySet, link: str, outer: str = "pk", **fields) -> Subquery:
    """The rows of `queryset` whose `link` equals the outer row's `outer`, each as a JSON object
    of `fields` (name=lookup), all in one JSON array; NULL when there are none. The array's
    order is the database's: sort in Python."""
    rows = (
        queryset.filter(**{link: OuterRef(outer)})
        .order_by()
        .values(link)
        .annotate(_rows=JSONGroupArray(JSONObject(**fields)))
        .values("_rows")
    )
    return Subquery(rows, output_field=JSONField())


def json_rows_all(queryset: models.QuerySet, **fields) -> Subquery:
    """Every row of `queryset` as one JSON array of objects (not correlated with the outer row)."""
    rows = (
        queryset.order_by()
        .annotate(_all=Value(1, output_field=models.IntegerField()))
        .values("_all")
        .annotate(_rows=JSONGroupArray(JSONObject(**fields)))
        .values("_rows")
    )
    return Subquery(rows, output_field=JSONField())


def instances(model: type[models.Model], rows) -> list[models.Model]:
    """Model instances of `rows` (dicts keyed by attname), each value made the field's type,
    marked as loaded from the database so saving one would update, not insert (built as
    Django builds a row it read, `from_db`: positional, the quicker way)."""
    fields = model._meta.concrete_fields
    made = []
    for row in rows or ():
        present = [field for field in fields if field.attname in row]
        made.append(
            model.from_db(
                "default",
                [field.attname for field in present],
                [field.to_python(row[field.attname]) for field in present],
            )
        )
    return made
