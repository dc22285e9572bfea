"""The callbacks due (the sweep's list, the desk's 待回访 tab) read the few resolved and merged
tickets through the status index, not every ticket of the city (PostgreSQL's plans; SQLite has
no planner to ask).

lifecycle.merged_callback_q ORed the merge depths inside one EXISTS, with outer joins along
the chain; the EXISTS sits in an OR, and PostgreSQL ran it once as a hashed subplan that read
and hashed every ticket (~0.5 s a query on 200,000 tickets, twice a sweep, once per queue
count). Each depth is now its own EXISTS joining its chain from the merged tickets."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.tickets import queues, sweep
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Ticket
from tests.tickets.factories import make_ticket, make_world
from tests.tickets.plans import plans

pytestmark = pytest.mark.django_db

TICKETS = 2_000


@pytest.fixture
def world():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans: the suite runs on it too (CI)")
    w = make_world()
    # One merge of a merge, through the lifecycle: second → first → third, third resolved.
    now = timezone.now() - dt.timedelta(days=7)
    first = make_ticket(w)
    second = make_ticket(w, requester_phone="13900001111")
    third = make_ticket(w, requester_phone="13900002222")
    perform(second, "merge", w.hotline, into=first.pk, now=now)
    perform(first, "merge", w.hotline, into=third.pk, now=now)
    perform(third, "accept", w.gridworker_a, now=now)
    perform(third, "resolve", w.gridworker_a, reply="已清理", now=now + dt.timedelta(hours=1))
    w.chain = (first, second, third)
    with connection.cursor() as cursor:
        # A city's other tickets: closed and resolved, one in fifty merged into the one
        # before it (as many as the city's merged tickets, so the planner weighs them).
        cursor.execute(
            "INSERT INTO tickets_ticket (code, channel, nature, title, description, urgency,"
            " status, address, requester_name, requester_phone, anonymous, return_count,"
            " designated, reopen_count, resolution, public, external_id, created_at,"
            " updated_at, resolved_at, closed_at, version) SELECT 'T' || g, 'hotline', nature,"
            " title, description, urgency, 'closed', address, '', '', false, 0, false, 0,"
            " '已办结', true, '', now() - interval '10 days' - g * interval '10 minutes', now(),"
            " now() - interval '9 days' - g * interval '5 minutes',"
            " now() - interval '9 days' - g * interval '4 minutes', 0"
            " FROM tickets_ticket, generate_series(1, %s) g WHERE id = %s",
            [TICKETS, third.pk],
        )
        cursor.execute(
            "UPDATE tickets_ticket t SET status = 'merged', resolved_at = NULL,"
            " closed_at = NULL, merged_into_id = t.id - 1"
            " WHERE t.code LIKE 'T%%' AND t.id %% 50 = 0",
            [],
        )
        cursor.execute("ANALYZE tickets_ticket")
    return w


def test_the_sweeps_callbacks_due_read_only_resolved_and_merged_tickets(world):
    now = timezone.now()
    due = sweep.callbacks_due(now)
    first, second, third = world.chain
    assert {first, second, third} <= set(due)
    assert due.count() == Ticket.objects.filter(status="merged").count() + 1
    for plan in plans(lambda: (list(due.values_list("code", flat=True)[:200]), due.count())):
        assert "Seq Scan on tickets_ticket" not in plan, plan


@pytest.mark.parametrize("who", ["hotline", "district_staff"])
def test_the_desks_callback_tab_counts_only_resolved_and_merged_tickets(world, who):
    user = getattr(world, who)
    now = timezone.now()
    filters = queues.tab_filters(now, user)
    mine = queues.mine(user)
    assert queues.counts(mine, {"callback": filters["callback"]})["callback"] == 3
    for plan in plans(lambda: queues.counts(mine, {"callback": filters["callback"]})):
        assert "Seq Scan on tickets_ticket" not in plan, plan
