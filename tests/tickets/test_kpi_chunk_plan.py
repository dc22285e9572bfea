"""A KPI ranking reads its tickets' events a chunk of tickets at a time (kpis.COUNT_CHUNK):
each chunk's events are found through the ticket index, not by scanning every event of the
city (PostgreSQL's plans; SQLite has no planner to ask).

`ticket_id = ANY(<5,000 ids>)` made PostgreSQL 15 scan the whole events table for every chunk:
it prices an index scan for a long array as one descent per id over rows scattered in the
table. On 1.15M events that was ~130 ms a chunk, 17 chunks for a district's year."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.tickets import kpis
from tests.tickets.factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

TICKETS = 50_000


@pytest.fixture
def ticket_ids():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans: the suite runs on it too (CI)")
    w = make_world()
    model = make_ticket(w, actor=w.hotline)
    with connection.cursor() as cursor:
        # A city's other tickets, closed, each with its six events as the app writes them:
        # received and dispatched together, then accepted, contacted, resolved and closed
        # days later, after other tickets' events (so a ticket's events are not all side by
        # side in the table, as in a deployment's).
        cursor.execute(
            "INSERT INTO tickets_ticket (code, channel, nature, title, description, urgency,"
            " status, address, requester_name, requester_phone, anonymous, return_count,"
            " designated, reopen_count, resolution, public, external_id, created_at,"
            " updated_at, resolve_by, version) SELECT 'T' || g, 'hotline', nature, title,"
            " description, urgency, 'closed', address, '', '', false, 0, false, 0, '', true,"
            " '', now() - (%s - g) * interval '10 minutes', now(), now(), 0"
            " FROM tickets_ticket, generate_series(1, %s) g WHERE id = %s",
            [TICKETS, TICKETS, model.pk],
        )
        events = (
            "INSERT INTO tickets_ticketevent (ticket_id, action, from_status, to_status,"
            " reason, data, at, owner_place_id) SELECT t.id, a.action, '', '', '',"
            " jsonb_build_object(), t.created_at + a.lag * interval '1 minute', %s"
            " FROM tickets_ticket t, (VALUES {}) a(action, lag) WHERE t.id <> %s"
            " ORDER BY t.id + a.lag, a.lag"
        )
        cursor.execute(events.format("('create', 0), ('dispatch', 1)"), [w.grid_a.pk, model.pk])
        cursor.execute(
            events.format(
                "('accept', 3000), ('contact', 3500), ('resolve', 9000), ('close', 15000)"
            ),
            [w.grid_a.pk, model.pk],
        )
        cursor.execute("ANALYZE tickets_ticket")
        cursor.execute("ANALYZE tickets_ticketevent")
    ids = sorted(kpis.Ticket.objects.exclude(pk=model.pk).values_list("id", flat=True))
    # A district's chunk: of the tickets filed over some weeks, those it reckons with.
    return ids[: 2 * kpis.COUNT_CHUNK : 2]


def test_a_chunks_events_are_read_through_the_ticket_index(ticket_ids):
    assert len(ticket_ids) == kpis.COUNT_CHUNK
    now = timezone.now()
    since = now - dt.timedelta(days=366)
    with CaptureQueriesContext(connection) as queries:
        kpis._count_tickets(ticket_ids, {}, since, now, now, now)
    (query,) = [q["sql"] for q in queries if 'FROM "tickets_ticketevent"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {query}")
        # The plan without the chunk's 5,000 ids.
        plan = "\n".join(re.sub(r"'{[^}]*}'", "'{…}'", row[0]) for row in cursor.fetchall())
    assert "Seq Scan on tickets_ticketevent" not in plan, plan
    assert "Index Scan" in plan and "tickets_ticketevent_ticket_id" in plan, plan
