"""Partial GIN indexes over Wagtail's search index, one per kind of public search result
(PostgreSQL only; SQLite's FTS5 index answers these questions itself).

Each index holds the visible entries (no hidden marker) of one kind, so a search counts and
pages one kind by looking its words up among that kind's entries alone. Queries repeat the
predicate word for word (content.search.kind_index_predicate). Creating them reads the whole
index table once (about 5 s at 100,000 entries) and blocks index writes meanwhile.
"""

from django.db import migrations

KINDS = ("station", "deputy", "activity")


def predicate(kind):
    return f"body @@ 'lianluok{kind} & !lianluoh'::tsquery"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for kind in KINDS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS lianluo_search_{kind} ON wagtailsearch_indexentry "
            f"USING gin (body) WHERE {predicate(kind)}"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for kind in KINDS:
        schema_editor.execute(f"DROP INDEX IF EXISTS lianluo_search_{kind}")


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0007_site_identity"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
