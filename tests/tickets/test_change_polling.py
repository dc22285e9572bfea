"""A system polling the tickets API for what changed (?updated_after=…&ordering=updated_at,
a 12345 bridge every few minutes) reads the changed tickets from an index on updated_at,
not every ticket of its area."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Ticket

from .factories import make_ticket, make_world

pytestmark = pytest.mark.django_db


def test_updated_at_has_an_index_in_the_order_a_poll_pages():
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "tickets_ticket")
    assert found["tickets_ticket_updated_idx"]["columns"] == ["updated_at", "id"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="how PostgreSQL plans it")
def test_a_poll_for_changes_reads_the_updated_at_index():
    """5,000 tickets of the district unchanged for a month and one accepted now: the poll's
    page is read from tickets_ticket_updated_idx (it was a scan of the whole district)."""
    w = make_world()
    old = make_ticket(w)
    columns = [
        f.column for f in Ticket._meta.concrete_fields if f.name not in ("id", "code", "updated_at")
    ]
    listed = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO tickets_ticket ({listed}, "code", "updated_at")'
            f" SELECT {listed}, 'P' || g, now() - interval '30 days'"
            " FROM tickets_ticket, generate_series(1, 5000) AS g WHERE id = %s",
            [old.pk],
        )
        cursor.execute("ANALYZE tickets_ticket")
    changed = make_ticket(w)
    perform(changed, "accept", w.gridworker_a)
    client = APIClient()
    client.force_authenticate(w.district_staff)
    cut = (timezone.now() - dt.timedelta(minutes=10)).isoformat()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/tickets/", {"updated_after": cut, "ordering": "updated_at"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [old.pk, changed.pk]
    (sql,) = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT "tickets_ticket"') and "LIMIT" in q["sql"]
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "tickets_ticket_updated_idx" in plan, plan
    assert "Seq Scan on tickets_ticket " not in plan, plan
