"""How a KPI ranking finds and reads the tickets it counts, in PostgreSQL's plans (SQLite has
no planner to ask).

The tickets counted are those handed to the units in the period, and those they held (at any
time) due or handed over in it. Looking for the due ones among every ticket the units ever
held made PostgreSQL hash all of them and read every ticket of the city when the period was
long: a district's departments over a year, 24,000 held of 200,000 tickets, 0.4 s. The
tickets handed over in the period are counted already; among the others (held before or
after it, or at a desk) the due ones are few, and found through the primary key."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.places.models import Level
from gridgov.tickets import kpis
from tests.tickets.factories import make_ticket, make_world

pytestmark = pytest.mark.django_db

TICKETS = 50_000


@pytest.fixture
def year():
    """A grid's year: 50,000 tickets filed every 10 minutes, each dispatched to the grid
    and due three days later."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans: the suite runs on it too (CI)")
    w = make_world()
    model = make_ticket(w, actor=w.hotline)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_ticket (code, channel, nature, title, description, urgency,"
            " status, address, requester_name, requester_phone, anonymous, return_count,"
            " designated, reopen_count, resolution, public, external_id, created_at,"
            " updated_at, resolve_by, version) SELECT 'T' || g, 'hotline', nature, title,"
            " description, urgency, 'closed', address, '', '', false, 0, false, 0, '', true,"
            " '', now() - (%s - g) * interval '10 minutes', now(),"
            " now() - (%s - g) * interval '10 minutes' + interval '3 days', 0"
            " FROM tickets_ticket, generate_series(1, %s) g WHERE id = %s",
            [TICKETS, TICKETS, TICKETS, model.pk],
        )
        cursor.execute(
            "INSERT INTO tickets_ticketevent (ticket_id, action, from_status, to_status,"
            " reason, data, at, owner_place_id) SELECT t.id, a.action, '', '', '',"
            " jsonb_build_object(), t.created_at + a.lag * interval '1 minute', %s"
            " FROM tickets_ticket t, (VALUES ('create', 0), ('dispatch', 1), ('accept', 60),"
            " ('contact', 90), ('resolve', 600)) a(action, lag) WHERE t.id <> %s",
            [w.grid_a.pk, model.pk],
        )
        cursor.execute("ANALYZE tickets_ticket")
        cursor.execute("ANALYZE tickets_ticketevent")
    today = timezone.localdate()
    return w, today - dt.timedelta(days=364), today


def test_a_years_tickets_due_are_not_looked_for_among_every_ticket(year):
    w, start, end = year
    units = kpis.units_at(Level.GRID, w.community)
    with CaptureQueriesContext(connection) as queries:
        kpis.compute(units, start, end)
    (counted,) = [q["sql"] for q in queries if " UNION " in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {counted}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on tickets_ticket " not in plan, plan
    assert "tickets_ticket_pkey" in plan, plan
