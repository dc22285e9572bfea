"""What a sweep costs per ticket it acts on: the statements that write its events and its
row, and no more. A first sweep over a city's backlog (thousands of supervisions and
escalations) spent most of its time in lifecycle.perform reading again, in a savepoint of
its own, each ticket the sweep had just locked with its group: five statements an act. The
sweep's acts now write under the group's lock (lifecycle.Acts): one UPDATE a ticket (its
row, once its acts are done: an UPDATE an act before), one INSERT a ticket (its acts'
events together: an INSERT an act before), and one savepoint a ticket (its acts stand or
fall together)."""

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.tickets import intake, sweep
from gridgov.tickets.models import TicketEvent

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(8 * 60)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday
H = dt.timedelta(hours=1)
ACTS = 3  # per ticket: accept and respond supervised, then escalated to the community


def _kind(sql):
    if re.match(r"(RELEASE )?SAVEPOINT", sql):
        return "savepoint"
    return sql.split(None, 1)[0].upper()


def sweep_backlog(world, size):
    """Sweep a backlog of `size` grid tickets, each past its accept and respond deadlines
    and the grace period; → {statement kind: count}. Rolled back afterwards."""
    with transaction.atomic():
        tickets = []
        for n in range(size):
            data = ticket_data(title=f"楼道堆物{n}")
            data["category"] = world.corridor.code
            tickets.append(intake.create_ticket(data, actor=world.hotline, now=T0).ticket)
        now = tickets[0].accept_by + 25 * H
        with CaptureQueriesContext(connection) as ctx:
            report = sweep.run(now=now, remind=False)
        assert len(report.supervised) == 2 * size and len(report.escalated) == size
        assert report.errors == []
        written = TicketEvent.objects.filter(ticket__in=tickets, at=now).count()
        assert written == ACTS * size
        transaction.set_rollback(True)
    counts = {}
    for query in ctx.captured_queries:
        kind = _kind(query["sql"])
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def test_statements_per_swept_ticket_are_its_writes_and_one_savepoint(world):
    sweep_backlog(world, 1)  # the per-process caches (places, reference data) filled
    small, large = sweep_backlog(world, 3), sweep_backlog(world, 30)
    added = 30 - 3
    # Groups of ACT_GROUP tickets: each more one is locked, its supervisions read again,
    # in a savepoint (a transaction of its own outside this test's).
    groups = -(-30 // sweep.ACT_GROUP) - -(-3 // sweep.ACT_GROUP)
    grew = {kind: large.get(kind, 0) - small.get(kind, 0) for kind in {*small, *large}}
    assert grew.get("SELECT", 0) == 2 * groups  # nothing read again per ticket
    assert grew.get("UPDATE", 0) == added  # the ticket's row, once for its acts
    assert grew.get("INSERT", 0) == added  # its events, one statement for its acts
    assert grew.get("savepoint", 0) == 2 * (added + groups)  # SAVEPOINT and RELEASE
    per_ticket = sum(grew.values()) / added
    # 6 with an INSERT an act, 8 with an UPDATE an act too, 17 when each act locked its
    # ticket again.
    assert per_ticket < 1 + 1 + 2 + 1


@pytest.fixture
def world(db):
    return make_world()
