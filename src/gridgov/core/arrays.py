"""A column among many ids, as one parameter.

`Q(id__in=ids)` writes one placeholder per id: with 5,000 ids Django spends 0.1-0.4 s
compiling the query and psycopg more splitting it, before PostgreSQL sees it. On PostgreSQL
`any_of` sends the ids as a single array (`column = ANY(%s)`), which PostgreSQL matches
through the column's index while the rows are few; elsewhere it is the plain `__in`.
`in_unnested` is for a column whose rows per id are many (a chunk's events).
"""

from django.db import connections
from django.db.models import BooleanField, F, Func, Q
from django.db.models.expressions import RawSQL


class AnyOf(Func):
    """`lhs = ANY(rhs)`."""

    arg_joiner = " = ANY("
    template = "(%(expressions)s))"
    output_field = BooleanField()


def any_of(field, ids, using="default"):
    """Q: `field` (an integer column) is one of `ids` (a list)."""
    if connections[using].vendor == "postgresql":
        return Q(AnyOf(F(field), RawSQL("%s::bigint[]", (list(ids),))))
    return Q(**{f"{field}__in": list(ids)})


def in_unnested(field, ids, using="default"):
    """Q: `field` is one of `ids`. On PostgreSQL `field IN (SELECT unnest(ids))`, one array
    parameter (not 5,000 placeholders), read an id at a time through the field's index.
    `any_of`'s `field = ANY(ids)` read a KPI chunk's events by a whole scan of the events
    table: PostgreSQL 15 prices an index scan for an array of 5,000 as 5,000 descents
    fetching rows scattered over the table, dearer than reading all of it, though each
    ticket's events lie together (1.15M events, a district's year: 17 chunks, 2.2 s
    scanning, 0.74 s through the index; tests/tickets/test_kpi_chunk_plan). The row
    estimates were right either way."""
    if connections[using].vendor == "postgresql":
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))})
    return Q(**{f"{field}__in": list(ids)})
