"""Trigram indexes for the ticket search (requester_text.search), on PostgreSQL only.

The search's `title__icontains` and `description__icontains` compile to
`UPPER("tickets_ticket"."title"::text) LIKE UPPER('%…%')`, which no b-tree serves: every
search read every ticket. pg_trgm's GIN indexes on exactly those expressions serve a LIKE
whose pattern holds a trigram (three letters or digits in a row, Chinese characters
included under the server's C.UTF-8 ctype); requester_text sends a shorter term's LIKE
under COLLATE "C", which they do not match. SQLite has no such index: nothing to do there.

pg_trgm is a trusted extension since PostgreSQL 13: the database's owner creates it without
being a superuser (checked on PostgreSQL 15 with a non-superuser owner); a role without
CREATE on the database needs an administrator to run `CREATE EXTENSION pg_trgm` first.

The indexes are built CONCURRENTLY (so the migration is not atomic): on 200,000 tickets the
description's took minutes, and a plain CREATE INDEX would hold off every intake meanwhile.
A build that failed half-way leaves an invalid index behind, which a rerun drops first.
Reversing drops the indexes and leaves the extension, which other objects or an
administrator may use.
"""

from django.db import migrations

INDEXES = {
    "tickets_ticket_title_trgm": "title",
    "tickets_ticket_description_trgm": "description",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
        # The expression as Django writes the lookup, so the planner matches it.
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY "{name}" ON "tickets_ticket" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ("tickets", "0021_routing_rule_unique_everywhere"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
