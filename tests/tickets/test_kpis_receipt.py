"""响应率 judges each unit by the `respond_by` in force when it got the ticket, not by the
ticket's current one (DESIGN §5: contacted before respond_by ÷ dispatched to the unit).

A later event moves respond_by for reasons that are not the unit's doing: a dispatch to
another unit raises it to that unit's 签收 window, a return brings the requester's back, a
reopening sets a fresh one. Read from the current value, a unit's entry for a ticket it
held flipped with what others did after it. The value at receipt is rebuilt from the
events' `data.deadlines.before` (kpis._respond_by_in_force).

Figures computed by hand; March 2026 has no public holiday. General tickets: 签收 within
1 working day, 响应 within 2, 办结 within 7 (each at the end of that day, 23:59:59).
Filed Mon 03-02 09:00 → respond_by Wed 03-04 23:59:59.

Returned (the desk's ticket, no routing rule):
  Thu 03-05 10:00 the desk dispatches it to ZJ: the requester's respond_by has passed,
    so ZJ's is raised to its 签收 window, Fri 03-06 23:59:59 (its own, not inherited).
  Thu 11:00 ZJ returns it unanswered: the requester's respond_by (Wed) comes back.
  Sat 03-07 12:00: ZJ's deadline passed without its call → ZJ dispatched 1, due 1,
    responded 0 (as for any unit that returns a ticket uncalled: the call was owed by
    its respond_by). Before: due 0, the restored Wednesday read as inherited.
  Mon 03-09 09:00 the desk dispatches it to CG (raised to Tue 03-10 23:59:59); CG
    accepts 09:30 and calls 10:00, on time → CG 1/1. ZJ stays 0/1: before, it became
    0/1 only now, through CG's dispatch and call.

Reopened (a grid ticket passed up late):
  Mon 03-02 09:00 dispatched to grid A on intake (respond_by Wed); accepted 10:00, never
    called. Thu 03-05 09:00 the grid escalates it to the community (an escalation keeps
    respond_by): it reached the community after its respond_by, nobody having called, so
    it is not the community's miss, and the community is credited for calling (10:00,
    late for Wednesday). Grid A: 1 dispatched, 1 due, 0 responded; community 1/1/1.
  Fri 03-06 10:00 an unhappy callback reopens it with a fresh respond_by (Tue 03-10).
    The figures stay. Before: the community's respond_by read as Tuesday, after it got the
    ticket, so its late call (flag on_time false) made it 0/1.
"""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.tickets import intake, kpis
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Category, HomeLevel, Status

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(8 * 60)
T0 = dt.datetime(2026, 3, 2, 9, tzinfo=TZ)  # Monday
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def at(day, hour, minute=0):
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def end_of(day):
    return dt.datetime(2026, 3, day, 23, 59, 59, tzinfo=TZ)


@pytest.fixture
def world():
    return make_world()


def response(units, now):
    """{unit code: (dispatched, response_due, responded)}."""
    return {
        k.unit.code: (k.counts["dispatched"], k.counts["response_due"], k.counts["responded"])
        for k in kpis.compute(units, *MARCH, now=now)
    }


def at_the_desk(world):
    """A department matter no routing rule covers: it waits at the street's desk."""
    category = (
        Category.objects.filter(home_level=HomeLevel.DEPARTMENT, active=True)
        .exclude(pk__in=[c.pk for c in world.unlicensed.lineage()])
        .exclude(parent=world.unlicensed)
        .first()
    )
    data = ticket_data(category=category.code)
    ticket = intake.create_ticket(data, actor=world.hotline, now=T0).ticket
    assert ticket.status == Status.RECEIVED and ticket.respond_by == end_of(4)
    return ticket


def test_a_unit_that_returned_a_ticket_is_judged_by_its_own_window_whatever_follows(world):
    ticket = at_the_desk(world)
    units = [world.housing, world.city_mgmt]
    perform(ticket, "dispatch", world.street_staff, now=at(5, 10), department="ZJ")
    ticket.refresh_from_db()
    assert ticket.respond_by == end_of(6)  # ZJ's 签收 window
    perform(ticket, "return", world.housing_handler, now=at(5, 11), reason_code="unclear_ownership")
    ticket.refresh_from_db()
    assert ticket.respond_by == end_of(4)  # the requester's again
    assert response(units, at(6, 12))["ZJ"] == (1, 0, 0)  # its deadline still ahead
    assert response(units, at(7, 12))["ZJ"] == (1, 1, 0)  # passed without its call
    perform(ticket, "dispatch", world.street_staff, now=at(9, 9), department="CG")
    ticket.refresh_from_db()
    assert ticket.respond_by == end_of(10)  # CG's 签收 window
    assert response(units, at(9, 9, 30)) == {"ZJ": (1, 1, 0), "CG": (1, 0, 0)}
    perform(ticket, "accept", world.city_handler, now=at(9, 9, 30))
    perform(ticket, "contact", world.city_handler, now=at(9, 10))
    assert response(units, at(20, 12)) == {"ZJ": (1, 1, 0), "CG": (1, 1, 1)}


def test_a_reopening_leaves_the_response_of_a_unit_that_got_the_ticket_late(world):
    data = ticket_data(category=world.corridor.code)
    ticket = intake.create_ticket(data, actor=world.hotline, now=T0).ticket
    assert ticket.owner_place == world.grid_a and ticket.respond_by == end_of(4)
    perform(ticket, "accept", world.gridworker_a, now=at(2, 10))
    perform(ticket, "escalate", world.gridworker_a, now=at(5, 9), reason="需社区协调")
    perform(ticket, "accept", world.community_staff, now=at(5, 9, 30))
    contact = perform(ticket, "contact", world.community_staff, now=at(5, 10))
    assert contact.data["on_time"] is False  # late for Wednesday, which ran out with the grid
    perform(ticket, "resolve", world.community_staff, now=at(5, 12), reply="已协调")
    units = [world.grid_a, world.community]
    expected = {world.grid_a.code: (1, 1, 0), world.community.code: (1, 1, 1)}
    assert response(units, at(6, 9)) == expected
    perform(
        ticket,
        "callback",
        world.hotline,
        now=at(6, 10),
        resolved=False,
        satisfaction="dissatisfied",
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.REOPENED and ticket.respond_by == end_of(10)
    assert response(units, at(6, 11)) == expected
    assert response(units, at(20, 12)) == expected


def test_the_chunk_reads_the_data_of_the_events_that_moved_respond_by(world):
    """The dispatches and the return of the first case bring their data (`deadlines`), though
    dispatches and returns are not among kpis.DATA_ACTIONS; the create's and accept's
    stays unread."""
    ticket = at_the_desk(world)
    perform(ticket, "dispatch", world.street_staff, now=at(5, 10), department="ZJ")
    perform(ticket, "return", world.housing_handler, now=at(5, 11), reason_code="unclear_ownership")
    perform(ticket, "dispatch", world.street_staff, now=at(9, 9), department="CG")
    perform(ticket, "accept", world.city_handler, now=at(9, 9, 30))
    on_postgresql = connection.vendor == "postgresql"

    def stamp(name):
        return kpis._EpochMicros(name) if on_postgresql else name

    events = kpis._chunk_events([ticket.pk], stamp, on_postgresql)[ticket.pk]
    read = [(e.action, sorted(e.data.get("deadlines", {}).get("before", {}))) for e in events]
    assert read == [
        ("create", []),
        ("dispatch", ["accept_by", "respond_by"]),
        ("return", ["respond_by"]),
        ("dispatch", ["accept_by", "respond_by"]),
        ("accept", []),
    ]
    assert all(e.data == {} for e in events if e.action in ("create", "accept"))
