"""The ticket indexes that every intake and import pays for: the lookups that need one still
find it when a city's tickets are many (PostgreSQL's plans; SQLite has no planner to ask).

Partial indexes (merged tickets, tickets naming a person) serve the lookups that name one;
the sweep's reminders read the few tickets waiting to be signed for through the status
index, since accept_by has no index of its own (migration 0020)."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.tickets import progress, sweep
from gridgov.tickets.models import Status, Ticket
from tests.tickets.factories import make_world_with_resident, reported_by_resident
from tests.tickets.plans import plans

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans: the suite runs on it too (CI)")
    w = make_world_with_resident()
    w.own = reported_by_resident(w)
    with connection.cursor() as cursor:
        # Half a year of a city's other tickets: closed, naming nobody, merged into nothing.
        cursor.execute(
            "INSERT INTO tickets_ticket (code, channel, nature, title, description, urgency,"
            " status, address, requester_name, requester_phone, anonymous, return_count,"
            " designated, reopen_count, resolution, public, external_id, created_at,"
            " updated_at, accept_by, resolve_by, version) SELECT 'T' || g, 'hotline', nature,"
            " title, description, urgency, 'closed', address, '', '', false, 0, false, 0, '',"
            " true, '', now() - g * interval '10 minutes', now(),"
            " now() - g * interval '10 minutes', now() - g * interval '5 minutes', 0"
            " FROM tickets_ticket, generate_series(1, 20000) g WHERE id = %s",
            [w.own.pk],
        )
        cursor.execute("ANALYZE tickets_ticket")
    return w


def test_a_residents_own_tickets_are_found_through_the_requester_index(world):
    (plan,) = plans(lambda: list(progress.own_tickets(world.resident)))
    assert "tickets_ticket_requester_idx" in plan, plan
    assert "Seq Scan on tickets_ticket" not in plan, plan


def test_a_tickets_duplicates_are_found_through_the_merged_index(world):
    survivor = Ticket.objects.exclude(pk=world.own.pk).first()
    Ticket.objects.filter(pk=world.own.pk).update(merged_into=survivor, status=Status.MERGED)
    (plan,) = plans(lambda: list(survivor.duplicates.all()))
    assert "tickets_ticket_merged_idx" in plan, plan
    assert "Seq Scan on tickets_ticket" not in plan, plan


def test_the_sweeps_reminders_read_the_open_tickets_not_every_ticket(world):
    now = timezone.now() + dt.timedelta(days=1)
    for plan in plans(lambda: sweep._remind(now, sweep.SweepReport(now=now))):
        assert "Seq Scan on tickets_ticket " not in plan + " ", plan
