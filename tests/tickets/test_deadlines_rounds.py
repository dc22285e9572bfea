"""The requester's deadlines a late dispatch raised to the unit's 签收 window come back
when the ticket goes back to the desk, however it travelled in between (DESIGN §4,
lifecycle._owed_again). A return by the unit the ticket was dispatched to brought them
back; but when that unit passed the ticket up (escalate, which keeps every deadline) and
the unit above returned it, or sent it down to another unit that returned it, the return
read only the last hand-over (the escalation, or the send-down's own raise) and the desk
held the ticket with the first unit's 签收 window as the requester's deadlines."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.timezone import localtime

from gridgov.tickets import intake
from gridgov.tickets.lifecycle import perform
from gridgov.tickets.models import Category, HomeLevel, Status, TicketEvent, Urgency

from .factories import make_world, ticket_data

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(8 * 60)
T0 = dt.datetime(2026, 3, 2, 9, tzinfo=TZ)  # Monday; March 2026 has no public holiday
H = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
LATE = dt.datetime(2026, 3, 5, 10, tzinfo=TZ)  # Thursday: the requester's respond_by passed


def end_of(day):
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=TZ)


@pytest.fixture
def world():
    return make_world()


def at_the_desk(world, urgency=Urgency.GENERAL):
    """A department matter no routing rule covers, filed Monday T0: it waits at the street's
    desk (签收 Tuesday, 响应 Wednesday, 办结 03-11 for a general one)."""
    category = (
        Category.objects.filter(home_level=HomeLevel.DEPARTMENT, active=True)
        .exclude(pk__in=[c.pk for c in world.unlicensed.lineage()])
        .exclude(parent=world.unlicensed)
        .first()
    )
    data = ticket_data(category=category.code, urgency=urgency)
    ticket = intake.create_ticket(data, actor=world.hotline, now=T0).ticket
    assert ticket.status == Status.RECEIVED and ticket.owner_place == world.street
    return ticket


def owed(ticket):
    ticket.refresh_from_db()
    return ticket.respond_by, ticket.resolve_by


def dispatched_late_to_the_grid(world, ticket, now=LATE):
    """The desk sends it to grid A after the requester's respond_by: raised to the grid's
    accept_by (lifecycle._owed_no_sooner_than_signed)."""
    before = owed(ticket)
    event = perform(ticket, "dispatch", world.street_staff, now=now, unit=world.grid_a.code)
    ticket.refresh_from_db()
    assert "respond_by" in event.data["raised"]
    assert ticket.respond_by == ticket.accept_by != before[0]
    return event


def test_the_unit_above_returning_it_brings_back_what_the_desks_dispatch_raised(world):
    ticket = at_the_desk(world)
    filed = owed(ticket)
    dispatched_late_to_the_grid(world, ticket)
    grid_window = ticket.accept_by
    perform(ticket, "escalate", world.gridworker_a, now=LATE + H, reason="需社区协调")
    assert owed(ticket) == (grid_window, filed[1])  # passing up buys no time, takes none
    event = perform(
        ticket, "return", world.community_staff, now=LATE + 2 * H, reason_code="wrong_place"
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RETURNED and ticket.owner_place == world.street
    # Before: respond_by stayed the grid's accept_by (Friday's end) at the desk.
    assert owed(ticket) == filed
    assert event.data["deadlines"] == {
        "before": {"respond_by": localtime(grid_window).isoformat()},
        "after": {"respond_by": localtime(filed[0]).isoformat()},
    }


def test_a_resolve_by_still_ahead_comes_back_too_and_one_passed_stays_raised(world):
    """An emergency (签收 15 min, 响应 1 h, 办结 2 h) held at the desk 1 h 50: the dispatch
    raised both to the grid's accept_by (T0+2h05). Returned by the community before T0+2h,
    both are the requester's again; returned after it, the resolve_by stays raised, as on a
    return by the unit dispatched to (test_late_dispatch_deadlines)."""
    early, late = at_the_desk(world, Urgency.EMERGENCY), at_the_desk(world, Urgency.EMERGENCY)
    filed = owed(early)
    assert filed == (T0 + H, T0 + 2 * H)
    for ticket, back in ((early, T0 + 115 * MINUTE), (late, T0 + 122 * MINUTE)):
        dispatched_late_to_the_grid(world, ticket, now=T0 + 110 * MINUTE)
        assert ticket.resolve_by == ticket.accept_by == T0 + 125 * MINUTE
        perform(ticket, "escalate", world.gridworker_a, now=T0 + 112 * MINUTE, reason="需协调")
        perform(ticket, "return", world.community_staff, now=back, reason_code="wrong_place")
    assert owed(early) == filed  # before: both T0+2h05
    assert owed(late) == (T0 + H, T0 + 125 * MINUTE)  # before: respond_by T0+2h05 too


def test_sent_down_to_another_unit_and_returned_the_desk_gets_the_requesters_back(world):
    """Desk → grid A (raised to Friday's end) → escalated → the community sends it down to
    grid B on Friday (raised again, to Monday's end) → grid B returns it. Before, the return
    undid the community's raise only: the desk held grid A's window."""
    ticket = at_the_desk(world)
    filed = owed(ticket)
    dispatched_late_to_the_grid(world, ticket)
    perform(ticket, "escalate", world.gridworker_a, now=LATE + H, reason="不在本网格")
    friday = LATE + 24 * H
    down = perform(ticket, "dispatch", world.community_staff, now=friday, unit=world.grid_b.code)
    ticket.refresh_from_db()
    assert ticket.respond_by == ticket.accept_by == end_of(dt.date(2026, 3, 9))
    assert down.data["raised"] == {"respond_by": localtime(end_of(dt.date(2026, 3, 6))).isoformat()}
    event = perform(ticket, "return", world.gridworker_b, now=friday + H, reason_code="wrong_place")
    ticket.refresh_from_db()
    assert ticket.status == Status.RETURNED and ticket.owner_place == world.street
    assert owed(ticket) == filed  # before: respond_by 03-06 23:59:59, grid A's window
    assert event.data["deadlines"]["after"] == {"respond_by": localtime(filed[0]).isoformat()}


def test_through_a_hand_down_and_back_up_the_desks_raise_is_undone_as_well(world):
    """Desk → the community (raised) → 交办 to grid A → grid A escalates it back to the
    community → the community returns it to the desk."""
    ticket = at_the_desk(world)
    filed = owed(ticket)
    perform(ticket, "dispatch", world.street_staff, now=LATE, unit=world.community.code)
    raised = owed(ticket)
    assert raised[0] != filed[0]
    perform(ticket, "accept", world.community_staff, now=LATE + H)
    perform(ticket, "dispatch", world.community_staff, now=LATE + 2 * H, unit=world.grid_a.code)
    perform(ticket, "escalate", world.gridworker_a, now=LATE + 3 * H, reason="需社区协调")
    assert ticket.owner_place == world.community and owed(ticket) == raised
    perform(ticket, "return", world.community_staff, now=LATE + 4 * H, reason_code="wrong_place")
    ticket.refresh_from_db()
    assert ticket.status == Status.RETURNED and ticket.owner_place == world.street
    assert owed(ticket) == filed  # before: the community's window


def test_a_reopened_round_keeps_its_own_deadlines_on_a_return(world):
    """A reopening starts a round of its own (fresh deadlines): a return after it brings back
    nothing a dispatch of the round before raised."""
    ticket = at_the_desk(world)
    dispatched_late_to_the_grid(world, ticket)
    perform(ticket, "accept", world.gridworker_a, now=LATE + H)
    perform(ticket, "contact", world.gridworker_a, now=LATE + 2 * H)
    perform(ticket, "resolve", world.gridworker_a, now=LATE + 3 * H, reply="已清理")
    reopen_at = LATE + 4 * H
    perform(ticket, "reopen", world.street_staff, now=reopen_at, reason="居民反映未清理")
    perform(ticket, "escalate", world.gridworker_a, now=reopen_at + H, reason="需社区协调")
    fresh = owed(ticket)
    event = perform(
        ticket, "return", world.community_staff, now=reopen_at + 2 * H, reason_code="wrong_place"
    )
    assert owed(ticket) == fresh
    assert "deadlines" not in event.data
    assert TicketEvent.objects.filter(ticket=ticket, action="return").count() == 1
