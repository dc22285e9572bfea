"""The sweep reads only the overdue tickets it may act on (PostgreSQL's plans, run with
EXPLAIN ANALYZE; SQLite has no planner to ask).

A city's overdue tickets mostly sit at the street, supervised there and with nowhere to go
up: the sweep read every one of them (12,804 rows with their place, department and category
on a 200,000-ticket copy) and all their supervise events, and screened them in Python, about
4 s a run to do nothing. sweep.candidates_q now leaves in SQL only the tickets with a missed
deadline their holder was not supervised for, or a level above them."""

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.places.models import Level
from gridgov.tickets import intake, sweep
from gridgov.tickets.models import Status, Ticket, TicketEvent
from tests.tickets.factories import make_world, ticket_data

pytestmark = pytest.mark.django_db

CLONES = 2_000
TZ = timezone.get_fixed_timezone(8 * 60)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday
H = dt.timedelta(hours=1)
# A server-side cursor (QuerySet.iterator) is logged as its DECLARE.
DECLARE = re.compile(r"^DECLARE .*? CURSOR (?:WITH(?:OUT)? HOLD )?FOR ", re.S)


def make_ticket(world, now):
    data = ticket_data()
    data["category"] = world.corridor.code
    return intake.create_ticket(data, actor=world.hotline, now=now).ticket


@pytest.fixture
def world():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans: the suite runs on it too (CI)")
    w = make_world()
    # A grid ticket the sweep escalates to the community, then to the street, where it stays
    # overdue and supervised: a steady-state sweep has nothing to do to it.
    held = make_ticket(w, T0)
    sweep.run(now=held.accept_by + 25 * H, remind=False)
    sweep.run(now=held.accept_by + 50 * H, remind=False)
    held.refresh_from_db()
    later = max(held.resolve_by, held.accept_by + 50 * H) + H
    sweep.run(now=later, remind=False)
    held.refresh_from_db()
    assert held.owner_place.level == Level.STREET and held.status == Status.ESCALATED
    w.now = later + 10 * 24 * H
    assert not sweep.run(now=w.now, remind=False).supervised  # steady
    # The city's other overdue tickets: copies of it with its supervise events.
    columns = [
        f.column
        for f in Ticket._meta.concrete_fields
        if f.column not in ("id", "code", "idempotency_key")
    ]
    listed = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO tickets_ticket (code, {listed}) SELECT 'C' || g, {listed}"
            " FROM tickets_ticket, generate_series(1, %s) g WHERE id = %s",
            [CLONES, held.pk],
        )
        cursor.execute(
            "INSERT INTO tickets_ticketevent (action, from_status, to_status, reason, data, at,"
            " actor_id, owner_department_id, owner_place_id, ticket_id)"
            " SELECT e.action, e.from_status, e.to_status, e.reason, e.data, e.at, e.actor_id,"
            " e.owner_department_id, e.owner_place_id, t.id"
            " FROM tickets_ticketevent e, tickets_ticket t"
            " WHERE e.ticket_id = %s AND e.action = 'supervise' AND t.code LIKE 'C%%'",
            [held.pk],
        )
        cursor.execute("ANALYZE tickets_ticket")
        cursor.execute("ANALYZE tickets_ticketevent")
    # And one the sweep acts on: filed four days before, unaccepted in its grid.
    w.fresh = make_ticket(w, w.now - 4 * 24 * H)
    w.held = held
    return w


def read_rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return plan[0]["Plan"]["Actual Rows"]


def test_a_steady_city_sweep_reads_only_the_tickets_it_acts_on(world):
    with CaptureQueriesContext(connection) as queries:
        report = sweep.run(now=world.now, remind=False)
    assert report.overdue == CLONES + 2
    assert {code for code, _stage in report.supervised} == {world.fresh.code}
    assert [code for code, *_ in report.escalated] == [world.fresh.code]
    assert TicketEvent.objects.filter(ticket__code__startswith="C", at=world.now).count() == 0
    reads = [q["sql"] for q in queries if '"tickets_ticket"' in q["sql"]]
    reads = [DECLARE.sub("", sql) for sql in reads]
    reads = [sql for sql in reads if sql.lstrip().startswith("SELECT")]
    assert len(reads) > 3
    # The captured SQL has its parameters inlined: nothing left to pass.
    for sql in reads:
        assert read_rows(sql, None) <= 5, sql
